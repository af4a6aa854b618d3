"""Runtime utilities shared by every stage: seeding, devices, GPU slots, atomic writes, logging."""
