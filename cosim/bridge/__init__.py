"""The Python side of the ns-3 link: launching a program on a fresh segment, grants, the shared clock."""
