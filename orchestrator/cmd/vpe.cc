// vpe: the operator and developer CLI. A thin main over the command libraries.

#include <CLI/CLI.hpp>

#include "orchestrator/cli_env.h"
#include "orchestrator/cli_task.h"

int main(int argc, char** argv) {
  CLI::App app{"vpe: per-pipeline environments and hardened task containers"};
  app.require_subcommand(1);
  int exit_code = 0;

  vpe::orch::RegisterEnvCommands(app, &exit_code);
  vpe::orch::RegisterTaskCommands(app, &exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
