"""The enumeration values of the records (ns3_scenarios' records.hpp), for every reader of a trace.

Kept apart from the trace readers so that code with no bridge (the agent's features, the energy
account, summaries) can name them without importing the launcher.
"""

NO_VALUE = 255  # kNoValue: no CQI or MCS in the slot
HARQ_NONE, HARQ_OK, HARQ_FAIL, HARQ_EMPTY = 0, 1, 2, 3  # HarqOutcome of the UE's uplink grant in the slot
UPLINK, DOWNLINK = 0, 1  # a packet event's direction
