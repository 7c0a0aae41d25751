"""container_image: move jobs to another container image (optionally busting their cache)."""

from __future__ import annotations

import re

from pydantic import field_validator

from tools.fixes.base import Change, Files, NotApplicable, Params, select_workflows, splice
from tools.fixes.cache import CacheKeyBumpParams, bump_keys
from tools.fixes.yamlspan import compose, get, is_expression, jobs, replace_scalar, scalar

IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/:@-]*$")


class ContainerImageParams(Params):
    image: str
    """The new image, e.g. `nvidia/cuda:11.8.0-devel-ubuntu22.04`."""
    match: str | None = None
    """A regex the old image must match (search); default any image."""
    bump_cache_key: bool = True
    """Also bump (or add) the cache-key version of the moved jobs: binaries built in the old image are stale."""
    files: list[str] | None = None
    """Workflow globs to limit the change to; default every workflow."""

    @field_validator("image")
    @classmethod
    def _image_name(cls, value: str) -> str:
        if not IMAGE.match(value):
            raise ValueError(f"not an image reference: {value!r}")
        return value

    @field_validator("match")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            re.compile(value)
        return value


def image_node(job):
    """The scalar node holding a job's image: `container: img` or `container: {image: img}`."""
    container = get(job, "container")
    return container if scalar(container) is not None else get(container, "image")


def container_image(files: Files, params: ContainerImageParams) -> Change:
    """Replace the container image of every matching job; keeps quoting and the rest of the file."""
    change, moved, expressions = Change(), [], []
    for path, text in select_workflows(files, params.files).items():
        replacements = []
        for job_id, job in jobs(compose(text)):
            node = image_node(job)
            old = scalar(node)
            if old is None or old == params.image or (params.match and not re.search(params.match, old)):
                continue
            if is_expression(old):
                expressions.append(f"{path}:{job_id}")
                continue
            replacements.append(replace_scalar(text, node, params.image))
            moved.append({"file": path, "job": job_id, "from": old, "to": params.image})
        if replacements:
            change.texts[path] = splice(text, replacements)
    if not moved:
        why = f"; images set by expressions in {', '.join(expressions)}" if expressions else ""
        raise NotApplicable(f"no job container to move to {params.image}{why}")
    change.resolved = {"files": sorted(change.texts), "moved": moved, "from": moved[0]["from"]}
    if params.bump_cache_key:
        add_cache_bump(change)
    return change


def add_cache_bump(change: Change) -> None:
    """Bump the cache keys of the jobs whose image changed (none found is recorded, not an error)."""
    jobs_moved: dict[str, set[str]] = {}
    for move in change.resolved["moved"]:
        jobs_moved.setdefault(move["file"], set()).add(move["job"])
    try:
        bumped = bump_keys(change.texts, CacheKeyBumpParams(files=sorted(change.texts)), jobs_moved)
    except NotApplicable:
        change.resolved["cache_bumps"] = []
        return
    change.texts.update(bumped.texts)
    change.resolved["cache_bumps"] = bumped.resolved["bumps"]
