"""The walking network and accessibility: the network, the amenities on it, k-nearest network
distances, the H3 cells of its nodes."""
