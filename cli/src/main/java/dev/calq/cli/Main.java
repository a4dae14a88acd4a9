package dev.calq.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code calq} command: one subcommand per job. */
@Command(name = "calq", mixinStandardHelpOptions = true, version = "calq 0.1.0",
        description = "Calibration-aware LLM weight quantizer: GPTQ, AWQ and llama.cpp GGUF with an importance matrix.",
        subcommands = {CommandLine.HelpCommand.class, InspectCommand.class, EvalCommand.class, QuantizeCommand.class, ImatrixCommand.class, ConvertCommand.class,
                dev.calq.cli.plot.PlotCommand.class, SensitivityCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.out); }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line; tests use it to run subcommands in-process. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new ErrorHandler());
        return cl;
    }
}
