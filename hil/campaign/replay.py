"""Replaying one run of a campaign from its directory, bit-identically.

Everything a run depends on is in the campaign directory: ``campaign.toml``
and ``base-scenario.toml`` (copies made when the campaign started) and the
run's row in ``runs.parquet`` (its noise seed and every dispersed input, as
float64, so the values are the very ones the run got). ``dockhil run
--replay DIR RUN_ID`` runs it again; :func:`write_scenario` writes it out as
an ordinary scenario file (and a preset file when preset numbers were
dispersed) for ``dockhil run FILE``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from controller.errors import ConfigError
from hil.campaign.execute import CampaignHal, RunSpec, prepare
from hil.campaign.results import read_rows
from hil.campaign.spec import Campaign, concrete_table, load_campaign, preset_values
from hil.scenario import Scenario


def load(out: Path) -> tuple[Campaign, dict[int, dict[str, Any]]]:
    """The campaign saved in ``out`` and its rows by run id."""
    if not (out / "campaign.toml").is_file():
        raise ConfigError(f"{out}: no campaign.toml here; is this a campaign directory?")
    campaign = load_campaign(out / "campaign.toml")
    rows = {int(r["run_id"]): r for r in read_rows(out)}
    return campaign, rows


def spec_of(campaign: Campaign, row: dict[str, Any]) -> RunSpec:
    """The run's seed and inputs, exactly as its row stores them."""
    inputs = {c: row[f"in:{c}"] for c in campaign.input_columns}
    return RunSpec(int(row["run_id"]), int(row["seed"]), inputs)


def _row(out: Path, run_id: int) -> tuple[Campaign, dict[str, Any]]:
    campaign, rows = load(out)
    if run_id not in rows:
        raise ConfigError(
            f"{out}: no run {run_id} in runs.parquet ({len(rows)} runs; ids "
            f"{min(rows, default=0)}..{max(rows, default=-1)})"
        )
    return campaign, rows[run_id]


def replay(out: Path, run_id: int) -> tuple[Scenario, CampaignHal]:
    """The scenario and backend of run ``run_id`` of the campaign in ``out``."""
    campaign, row = _row(out, run_id)
    return prepare(campaign, spec_of(campaign, row))


def write_scenario(out: Path, run_id: int) -> Path:
    """Write run ``run_id`` as ``out/scenarios/<run_id>.toml`` (plus ``-preset.toml``)."""
    import tomli_w

    from sim_bridge.preset import load_preset

    campaign, row = _row(out, run_id)
    spec = spec_of(campaign, row)
    data, raw_preset = concrete_table(campaign, spec.inputs, spec.seed)
    folder = out / "scenarios"
    folder.mkdir(exist_ok=True)
    data["name"] = f"{campaign.name}-run-{run_id}"
    data["description"] = f"run {run_id} of campaign {campaign.name} (replay of its row)"
    overrides = preset_values(raw_preset, str(data.get("preset", "cn-10t-100t")))
    if overrides:
        ps = load_preset(str(data.get("preset", "cn-10t-100t"))).with_overrides(overrides)
        table: dict[str, Any] = {"name": f"{ps.name}-run-{run_id}", "description": ps.description}
        for key, value in ps.values.items():
            section, name = key.split(".", 1)
            table.setdefault(section, {})[name] = list(value) if isinstance(value, tuple) else value
        preset_path = (folder / f"{run_id}-preset.toml").resolve()
        preset_path.write_text(tomli_w.dumps(table), encoding="utf-8")
        data["preset"] = str(preset_path)
    path = folder / f"{run_id}.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path
