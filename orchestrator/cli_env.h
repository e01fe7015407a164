#pragma once
// `vpe env ...`: lists, shows, renders, builds and removes environment images, talking to the
// Docker engine directly so that images can be prebuilt before any vped runs.
//   vpe env list | show NAME | render NAME | build [NAME...|--all] [--force] | rm NAME...
//   vpe env gc [NAME...] [--keep N]
// Common options (accepted before or after the subcommand): --specs-dir (env_specs/examples),
// --docker-host (DOCKER_HOST, else unix:///var/run/docker.sock), --json.

#include <CLI/CLI.hpp>

namespace vpe::orch {

// Adds the `env` subcommand tree to `app`. Each subcommand sets `*exit_code` when it runs:
// 0 on success, 1 when something failed (e.g. an environment did not build).
void RegisterEnvCommands(CLI::App& app, int* exit_code);

// The same, reporting a non-zero exit code by throwing CLI::RuntimeError from the callback
// (App::exit turns it into the return code).
void RegisterEnvCommands(CLI::App& app);

}  // namespace vpe::orch
