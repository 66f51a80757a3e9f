"""The ``sentiv`` subcommands, one module each, dispatched by `sentiv_hf.cli`.

Layer: commands, the top one (with ``cli.py``). A command may import every other layer (``benchmark``,
``training``, ``labels``, ``data``, ``models``, ``metrics``), preferably inside the function that needs it so that
``--help`` stays fast; nothing outside ``commands/`` and ``cli.py`` imports it. Errors the user can fix are raised
as `sentiv_hf.errors.UserError` and printed without a traceback (`sentiv_hf.commands.errors`).
"""
