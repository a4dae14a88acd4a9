package dev.calq.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code calq} command: one subcommand per job. */
@Command(name = "calq", mixinStandardHelpOptions = true, version = "calq 0.1.0",
        description = "Calibration-aware LLM weight quantizer: GPTQ, AWQ and llama.cpp GGUF with an importance matrix.",
        subcommands = {CommandLine.HelpCommand.class, InspectCommand.class, EvalCommand.class, QuantizeCommand.class, RepackCommand.class, ImatrixCommand.class, ConvertCommand.class,
                dev.calq.cli.plot.PlotCommand.class, SensitivityCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.out); }

    public static void main(String[] args) {
        int rc;
        try {
            rc = commandLine().execute(args);
        } catch (OutOfMemoryError e) {
            System.err.println("calq: error: out of memory (" + e.getMessage() + "); give the JVM more heap, e.g. CALQ_JAVA_OPTS=-Xmx16g, or use --memory");
            rc = 1;
        } catch (Error e) {
            // Any Error reaching the top is still one line; CALQ_DEBUG=1 shows where it came from.
            System.err.println("calq: error: " + e.getClass().getSimpleName() + ": " + e.getMessage());
            if (System.getenv("CALQ_DEBUG") != null) e.printStackTrace();
            rc = 1;
        }
        System.exit(rc);
    }

    /** The configured command line; tests use it to run subcommands in-process. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new ErrorHandler());
        // A mistyped option or value is one line pointing at --help, not the whole usage text.
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("calq: error: " + ex.getMessage() + " (see '" + c.getCommandSpec().qualifiedName() + " --help')");
            c.getErr().flush();
            return 2;
        });
        return cl;
    }
}
