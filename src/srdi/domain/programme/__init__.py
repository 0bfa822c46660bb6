"""Running the programme: how the policy counts titles against its targets, and how progress is projected."""
