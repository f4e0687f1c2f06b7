#!/usr/bin/env python3
"""Shell completion for `kubectl sidecars`: kubectl 1.26+ runs kubectl_complete-sidecars from PATH.

The release archive holds this file under that name. It starts the kubectl-sidecars zipapp beside it (this
file may be a symlink to the installed one). Kept to syntax every python3 can parse: a too old interpreter
completes nothing (":4" is cobra's ShellCompDirectiveNoFileComp, as the plugin's own completion ends).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "kubectl-sidecars"))
if sys.version_info >= (3, 9):  # noqa: UP036 (the check is for the interpreters the plugin does not support)
    import kubectl_sidecars_bundle

    kubectl_sidecars_bundle.run("complete")
else:
    sys.stdout.write(":4\n")
