"""The award workflow as data: states, transitions, who may take them, and guards that say why not."""
