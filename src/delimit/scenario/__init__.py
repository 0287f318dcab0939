"""Scenario files: schema (pydantic, JSON Schema) and loader."""

from delimit.scenario.loader import copy_scenario, load_scenario, parse_scenario_file, resolve_scenario
from delimit.scenario.schema import ScenarioFile, json_schema, json_schema_text

__all__ = [
    "ScenarioFile",
    "copy_scenario",
    "json_schema",
    "json_schema_text",
    "load_scenario",
    "parse_scenario_file",
    "resolve_scenario",
]
