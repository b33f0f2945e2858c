"""The people who answer citizens: the staff registry, what each role may do, and the staff console."""
