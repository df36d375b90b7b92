"""For plugin authors: building a component from Python, JavaScript or WAT (build.py) and
scaffolding a new plugin from a template (scaffold.py).
"""
