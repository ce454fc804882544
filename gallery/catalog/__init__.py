"""Events and albums, and the rule of what a viewer may see."""
