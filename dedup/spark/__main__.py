"""``python -m dedup.spark INPUT... --output DIR``: the ``dedup spark-scan`` command.

This file is also what ``spark-submit`` runs on a cluster::

    spark-submit --master yarn "$(python -c 'import dedup.spark.__main__ as m; print(m.__file__)')" \\
        INPUT... --output DIR
"""

import sys

from dedup.cli import main

if __name__ == "__main__":
    main(["spark-scan", *sys.argv[1:]])
