"""What a reader gets: the HTML report, the comparison of assessed parks, the coupling
coordination of a statistics panel."""
