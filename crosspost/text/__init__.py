"""Rich text: converting, counting and fitting posts to each platform. Pure functions, no I/O."""
