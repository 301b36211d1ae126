"""arazzo-gen: compile Arazzo workflows to typed, standalone Python modules."""
