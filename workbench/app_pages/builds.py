"""Builds: run history, one run's report and notebook summary; launching a build (admins)."""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from workbench import auth, services, ui
from workbench.i18n import current_lang, t
from workbench.services import Identity


def _param_widget(step: str, param: Any) -> Any:
    key = f"bd_param_{step}_{param.name}"
    kind = str(param.kind)
    label = f"{param.name} — {param.help}" if param.help else param.name
    if kind == "bool":
        return st.checkbox(label, bool(param.default), key=key)
    if kind == "optional_bool":
        options = [None, True, False]
        return st.selectbox(label, options, index=options.index(param.default), key=key)
    if kind == "ratio":
        return st.number_input(label, 0.0, 1.0, float(param.default), 0.01, key=key)
    if kind in ("int", "optional_int"):
        value = st.number_input(label, 0, 10_000_000, int(param.default or 0), key=key)
        return int(value) if value or kind == "int" else None
    text = st.text_input(label, "" if param.default is None else str(param.default), key=key)
    return text.strip() or None if kind.startswith("optional_") else text.strip()


def _launch(user: Identity, tenant: str) -> None:
    st.markdown(f"### {t('launch')}")
    if not user.can("launch_build"):
        st.info(t("launch_admin_only"))
        return
    steps = services.build_steps()
    step = st.selectbox(t("step"), [*steps, "all"], key="bd_step")
    params = steps.get(step) or [p for ps in steps.values() for p in ps]
    seen: set[str] = set()
    with st.form("bd_launch"):
        values: dict[str, Any] = {}
        for param in params:
            if param.name in seen:
                continue
            seen.add(param.name)
            values[param.name] = _param_widget(step, param)
        go = st.form_submit_button(t("launch_button"), type="primary", key="bd_launch_go")
    if go:
        changed = {name: v for name, v in values.items() if v is not None or step != "all"}
        with ui.guarded(), st.spinner(t("launching")):
            run = services.launch_build(user, tenant, step, changed)
            if run["status"] == "ok":
                st.success(t("build_ok", id=run["run_id"], s=run["duration_s"]))
            else:
                st.error(t("build_failed", error=run["error"]))


def _summary_block(block: Any, index: int) -> None:
    if block.kind == "plotly":
        import plotly.io as pio

        content = block.content if isinstance(block.content, str) else json.dumps(block.content)
        st.plotly_chart(pio.from_json(content), key=f"bd_fig_{index}")
    elif block.kind == "html":
        st.html(block.content)
    elif block.kind == "markdown":
        st.markdown(block.content)
    elif block.kind == "error":
        st.warning(block.content)
    else:
        st.code(block.content, language=None)


def _run_detail(run: dict[str, Any]) -> None:
    when = run["started_at"].strftime("%Y-%m-%d %H:%M") if run["started_at"] else ""
    st.subheader(f"#{run['run_id']} · {run['step']} · {run['status']} · {when}")
    if run["error"]:
        st.warning(run["error"])
    cols = st.columns(2)
    cols[0].markdown(f"**{t('parameters')}**")
    cols[0].json(run["parameters"], expanded=False)
    cols[1].markdown(f"**{t('counts')}**")
    cols[1].json(run["counts"], expanded=True)
    warnings = (run["report"] or {}).get("warnings") or []
    if warnings:
        with st.expander(f"{t('warnings')} ({len(warnings)})"):
            for warning in warnings[:100]:
                st.markdown(f"- {warning}")
    st.markdown(f"**{t('notebook_summary')}**")
    if not run["notebook_path"]:
        st.caption(t("no_notebook"))
        return
    with ui.guarded():
        for index, block in enumerate(services.notebook_summary(run["notebook_path"])):
            _summary_block(block, index)


def render() -> None:
    """The page body."""
    user, tenant = auth.require_page("builds")
    current_lang()
    st.title(t("bd_title"))
    st.caption(t("bd_caption"))
    runs = services.build_runs(tenant)
    if not runs:
        st.info(t("no_runs"))
    else:
        ui.table(
            [
                {"#": r["run_id"], t("step"): r["step"], t("status"): r["status"],
                 "started": r["started_at"], "s": r["duration_s"],
                 t("counts"): " ".join(f"{k}={v}" for k, v in r["counts"].items()),
                 "error": r["error"]}
                for r in runs
            ],
            height=260,
        )  # fmt: skip
        names = {r["run_id"]: f"#{r['run_id']} {r['step']} · {r['status']}" for r in runs}
        chosen = st.selectbox(
            t("open_run"),
            [None, *names],
            format_func=lambda i: "—" if i is None else names[i],
            key="bd_open",
        )
        if chosen is not None:
            _run_detail(next(r for r in runs if r["run_id"] == chosen))
    with ui.guarded():
        _launch(user, tenant)


with ui.guarded():
    render()
