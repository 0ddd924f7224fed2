"""The demo catalogue: its data files and their loader (`loader.load_demo_catalogue`)."""
