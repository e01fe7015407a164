#pragma once
// `vpe task ...`: submits, watches, lists and cancels tasks on a vped over gRPC.
//   vpe task run ENV [--timeout D] [--env K=V]... -- CMD...   (exits with the task's exit code)
//   vpe task ls | get ID | logs ID [-f] | cancel ID

#include <CLI/CLI.hpp>

namespace vpe::orch {

// Adds the `task` subcommand tree to `app`. Each subcommand sets `*exit_code` when it runs.
void RegisterTaskCommands(CLI::App& app, int* exit_code);

}  // namespace vpe::orch
