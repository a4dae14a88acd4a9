package dev.calq.cli;

import picocli.CommandLine;

/**
 * Turns an exception from a subcommand into one line on stderr and exit code 1.
 * Expected faults (bad files, bad options) are {@link dev.calq.formats.CalqException}; anything else is a bug,
 * and CALQ_DEBUG=1 prints its stack trace.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parsed) {
        String msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
        if (!(ex instanceof dev.calq.formats.CalqException)) msg = ex.getClass().getSimpleName() + ": " + msg;
        cmd.getErr().println("calq: error: " + msg);
        if (System.getenv("CALQ_DEBUG") != null) ex.printStackTrace(cmd.getErr());
        return 1;
    }
}
