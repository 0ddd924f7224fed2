"""Categories of the catalogue: Apps, Frameworks, Projects, Other."""
