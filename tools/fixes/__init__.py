"""Fix templates: pure functions (repository files, params) → edits and a unified diff."""

from __future__ import annotations

from typing import Any

from agent.models import Edit
from tools.fixes.actions import ActionVersionParams, action_version
from tools.fixes.base import (
    CI_GLOBS,
    Change,
    Files,
    FixResult,
    NotApplicable,
    Params,
    Template,
    matches_any,
    unified_diff,
)
from tools.fixes.cache import CacheKeyBumpParams, cache_key_bump
from tools.fixes.container import ContainerImageParams, container_image
from tools.fixes.envs import (
    AbsolutePathParams,
    EnvSetParams,
    TimeoutParams,
    absolute_path,
    env_set,
    timeout_minutes,
)
from tools.fixes.expressions import (
    ReusableInputParams,
    WorkflowExpressionParams,
    reusable_input_format,
    workflow_expression,
)
from tools.fixes.headless import XvfbRunParams, xvfb_run
from tools.fixes.overlay import OVERLAY_GLOBS, OverlayPortHashParams, overlay_port_hash
from tools.fixes.packages import AptPackageParams, PipPackageParams, apt_package_add, pip_package_add
from tools.fixes.quarantine import QuarantineParams, ReleaseParams, quarantine_test, release_quarantine
from tools.fixes.testdisable import SOURCE_GLOBS, TestDisableParams, test_disable
from tools.fixes.vcpkg import (
    BaselineParams,
    DependencyParams,
    OverrideParams,
    vcpkg_baseline,
    vcpkg_dependency_add,
    vcpkg_override,
)

MANIFEST = ("base/vcpkg.json",)
CONFIG = ("base/vcpkg-configuration.json",)


def _template(name: str, model: type[Params], touches, run) -> Template:
    return Template(name, model, tuple(touches), run, (run.__doc__ or "").strip())


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in [
        _template("cache_key_bump", CacheKeyBumpParams, CI_GLOBS + MANIFEST, cache_key_bump),
        _template("action_version", ActionVersionParams, CI_GLOBS, action_version),
        _template("container_image", ContainerImageParams, CI_GLOBS, container_image),
        _template("vcpkg_override", OverrideParams, MANIFEST, vcpkg_override),
        _template("vcpkg_dependency_add", DependencyParams, MANIFEST, vcpkg_dependency_add),
        _template("vcpkg_baseline", BaselineParams, CONFIG, vcpkg_baseline),
        _template("apt_package_add", AptPackageParams, CI_GLOBS, apt_package_add),
        _template("pip_package_add", PipPackageParams, CI_GLOBS, pip_package_add),
        _template("absolute_path", AbsolutePathParams, CI_GLOBS, absolute_path),
        _template("env_set", EnvSetParams, CI_GLOBS, env_set),
        _template("timeout_minutes", TimeoutParams, CI_GLOBS, timeout_minutes),
        _template("test_disable", TestDisableParams, CI_GLOBS + SOURCE_GLOBS, test_disable),
        _template("overlay_port_hash", OverlayPortHashParams, OVERLAY_GLOBS, overlay_port_hash),
        _template("workflow_expression", WorkflowExpressionParams, CI_GLOBS, workflow_expression),
        _template("reusable_input_format", ReusableInputParams, CI_GLOBS, reusable_input_format),
        _template("xvfb_run", XvfbRunParams, CI_GLOBS, xvfb_run),
        _template("quarantine_test", QuarantineParams, CI_GLOBS, quarantine_test),
        _template("release_quarantine", ReleaseParams, CI_GLOBS, release_quarantine),
    ]
}
"""Every fix template by name (CONTRACTS "Fix templates")."""


def touches_for(template: Template, params: Params) -> tuple[str, ...]:
    """The template's write globs, plus any manifest/config path the params point elsewhere."""
    extra = [getattr(params, f) for f in ("manifest", "config") if isinstance(getattr(params, f, None), str)]
    return template.touches + tuple(extra)


def apply_template(name: str, files: Files, params: dict[str, Any]) -> FixResult:
    """Run a template: validate params (ValueError), edit, refuse writes outside `touches`, diff."""
    template = TEMPLATES.get(name)
    if template is None:
        raise KeyError(f"unknown fix template {name!r}; known: {', '.join(sorted(TEMPLATES))}")
    parsed = template.params_model.model_validate(params)
    touches = touches_for(template, parsed)
    visible = {path: text for path, text in files.items() if matches_any(path, touches)}
    change: Change = template.run(visible, parsed)
    outside = sorted(set(change.texts) - set(visible))
    if outside:
        raise RuntimeError(f"{name} tried to write outside its touches: {', '.join(outside)}")
    edits = [
        Edit(path=p, old=files[p], new=new) for p, new in sorted(change.texts.items()) if new != files.get(p)
    ]
    if not edits:
        raise NotApplicable(f"{name}: nothing to change")
    resolved = parsed.model_dump(mode="json", exclude_none=True) | change.resolved
    return FixResult(edits=edits, diff=unified_diff(edits), params=resolved)


__all__ = ["TEMPLATES", "FixResult", "NotApplicable", "Template", "apply_template"]
