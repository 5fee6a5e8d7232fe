"""``monitor`` subcommands, one module per area; ``monitor.cli`` registers them."""
