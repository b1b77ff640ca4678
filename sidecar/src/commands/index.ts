/**
 * The CLI's commands. The serving command (cli.ts) takes flags only; the others are named first:
 * `hearth-sidecar init | doctor | service … | add … | remove …`. Dispatched here rather than as citty subcommands of the
 * serving command, which citty would also run after any subcommand.
 */
import { runMain, type CommandDef } from "citty";
import { addCommand, removeCommand } from "./addon.js";
import { doctorCommand } from "./doctor.js";
import { initCommand } from "./init.js";
import { serviceCommand } from "./service.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- citty's CommandDef is generic over each command's args
const COMMANDS: Record<string, CommandDef<any>> = { init: initCommand, doctor: doctorCommand, service: serviceCommand, add: addCommand, remove: removeCommand };

export const COMMAND_HELP =
  "Commands: init (write the config), doctor (check the setup), service install|uninstall|status, add|remove llama-cpp (the add-on GGUF models need). `hearth-sidecar <command> --help` for each.";

/** Runs the named command, or the serving command when the first argument names none. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function runCli(serve: CommandDef<any>, argv: string[] = process.argv.slice(2)): Promise<void> {
  const [first, ...rest] = argv;
  const command = first === undefined ? undefined : COMMANDS[first];
  return command ? runMain(command, { rawArgs: rest }) : runMain(serve, { rawArgs: argv });
}
