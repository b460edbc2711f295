"""The collaborative innovation network (协同创新网络) of parks and organisations (not the walking network).

Reads collaboration records (CORDIS exports, participation or agreements tables), projects them to
an actor graph with sparse matrices, measures it (degree, strength, betweenness, communities),
places a park in it (reach, brokers, gaps) and suggests partners by link prediction.
"""

from parkscope.cooperation.analysis import CORDIS_ATTRIBUTION, NetworkResult, analyse_network
from parkscope.cooperation.kinds import KINDS, load_network_settings
from parkscope.cooperation.records import read_records

__all__ = [
    "CORDIS_ATTRIBUTION",
    "KINDS",
    "NetworkResult",
    "analyse_network",
    "load_network_settings",
    "read_records",
]
