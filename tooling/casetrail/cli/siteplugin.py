"""The MkDocs adapter: hands the generated pages of core/sitepages.py to `mkdocs build/serve`.

Registered as the `casetrail` plugin (pyproject.toml). The records repository is the folder
mkdocs.yml sits in, or the plugin option `root`, or the environment variable
CASETRAIL_SITE_ROOT (to build another records repository with this project's mkdocs.yml). The moment is the option `as_of`, else CASETRAIL_NOW, else now. It never loads a
key: the pages are made from front matter, age headers and the git history only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files

EPOCH = "SOURCE_DATE_EPOCH"  # MkDocs dates the sitemap and its gzip by this, else by the clock


class CasetrailConfig(Config):  # type: ignore[no-untyped-call]
    root = config_options.Optional(config_options.Type(str))
    as_of = config_options.Optional(config_options.Type(str))


class CasetrailPlugin(BasePlugin[CasetrailConfig]):  # type: ignore[no-untyped-call]
    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        from casetrail.cli.common import office_moment_at
        from casetrail.core import sitepages
        from casetrail.shell import sitegather, treescan

        docs = Path(os.path.abspath(config.docs_dir))
        sources = [  # the docs folder's own files (the theme's are not ours to judge)
            f.src_uri
            for f in files
            if f.abs_src_path and Path(os.path.abspath(f.abs_src_path)).is_relative_to(docs)
        ]
        unsafe = treescan.unsafe_docs(docs, sources)
        if unsafe:
            raise PluginError(
                "casetrail: the docs folder is not safe to publish: " + "; ".join(unsafe)
            )
        root = self._root(config, os.environ.get(sitegather.ROOT_VARIABLE))
        try:
            data = sitegather.site_data(root, office_moment_at(self.config.as_of, root))
            pages = sitepages.render(data)
        except Exception as error:  # a clear build error, never a traceback in the site
            raise PluginError(f"casetrail: cannot build the site of {root}: {error}") from error
        if os.environ.get(EPOCH) is None:  # the build's date (sitemap, gzip): the figures'
            os.environ[EPOCH] = str(int(data.as_of.timestamp()))
            self._set_epoch = True
        for rel, text in sorted(pages.items()):
            if files.get_file_from_path(rel) is not None:
                raise PluginError(f"casetrail: {rel} is generated; remove it from the docs folder")
            files.append(File.generated(config, rel, content=text))
        return files

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """The build date was ours to set for this build only (`mkdocs serve` rebuilds, and a
        process may build another site)."""
        if getattr(self, "_set_epoch", False):
            os.environ.pop(EPOCH, None)
            self._set_epoch = False

    def _root(self, config: MkDocsConfig, from_environment: str | None) -> Path:
        given_file = config.config_file_path
        base = Path(given_file).resolve().parent if given_file else Path.cwd()
        given: Any = from_environment or self.config.root
        return (base / given).resolve() if given else base
