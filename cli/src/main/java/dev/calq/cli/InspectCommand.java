package dev.calq.cli;

import dev.calq.cli.inspect.Inspection;
import dev.calq.cli.inspect.InspectionPrinter;
import dev.calq.cli.inspect.Inspectors;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code calq inspect PATH}: what a model file or folder holds (architecture, sizes, tensors). */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a model's architecture, hyperparameters, parameter count, size and tensors.")
public final class InspectCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @CommandLine.Parameters(paramLabel = "PATH", description = "A Hugging Face model folder, a .safetensors file or a model.safetensors.index.json.")
    Path path;

    @CommandLine.Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Override public Integer call() {
        Inspection in = Inspectors.inspect(path);
        PrintWriter out = spec.commandLine().getOut();
        if (json) InspectionPrinter.json(in, out);
        else InspectionPrinter.text(in, out);
        return 0;
    }
}
