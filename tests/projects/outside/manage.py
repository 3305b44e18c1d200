#!/usr/bin/env python
"""manage.py of the 'outside' fixture project."""

import multiprocessing
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
    start_method = os.environ.get("ISOLATEDTEST_START_METHOD")
    if start_method:
        multiprocessing.set_start_method(start_method)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
