"""Helpers shared by the rules and the inventory.

They read the model (workloads, schedules, prompts, provider strings) and never the rules,
parsers, engine or reporters, so both the rules and the cost inventory can use them.

- `workloads`: LLM engines, agents, GPU models and pools, served model sizes, GPU impacts
- `schedule`: CronJob schedules, time zones and their overlap with peak windows
- `prompt`: prompt slot labels, model choice and traffic for prompt estimates
- `provider`: hosted providers, model pinning and time windows of provider rules
- `context`: the small part of a rule's context these helpers read
"""
