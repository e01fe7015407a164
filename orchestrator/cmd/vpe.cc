// vpe: the operator and developer CLI. A thin main over the command libraries.

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "orchestrator/cli_env.h"
#include "orchestrator/cli_task.h"

int main(int argc, char** argv) {
  // A command's output is for its user: library log lines go to stderr, warnings and worse only.
  spdlog::set_default_logger(spdlog::stderr_color_mt("vpe"));
  spdlog::set_level(spdlog::level::warn);

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
