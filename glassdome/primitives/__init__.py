"""Building blocks below the backends: crypto, atomic writes, master password, names, .env.

Nothing here imports a backend, the store facade, the engine or the CLI.
"""
