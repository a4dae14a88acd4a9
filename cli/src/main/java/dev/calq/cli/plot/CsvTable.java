package dev.calq.cli.plot;

import dev.calq.formats.CalqException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A results table read from CSV: a header row of column names, then rows of as many fields. Fields are split on
 * commas; a field may be double-quoted to hold commas (a doubled quote inside stands for one). Lines starting
 * with '#' and blank lines are skipped.
 */
public final class CsvTable {
    private final Path file;
    private final List<String> columns;
    private final List<String[]> rows;
    private final List<Integer> lineNumbers;

    private CsvTable(Path file, List<String> columns, List<String[]> rows, List<Integer> lineNumbers) {
        this.file = file;
        this.columns = columns;
        this.rows = rows;
        this.lineNumbers = lineNumbers;
    }

    public static CsvTable read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw CalqException.file(file, "cannot read: " + e.getMessage());
        }
        List<String> header = null;
        List<String[]> rows = new ArrayList<>();
        List<Integer> numbers = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] fields = split(file, i + 1, line);
            if (header == null) {
                header = Arrays.stream(fields).map(String::trim).toList();
                continue;
            }
            if (fields.length != header.size())
                throw CalqException.file(file, "line " + (i + 1) + " has " + fields.length + " fields, the header " + header.size());
            rows.add(fields);
            numbers.add(i + 1);
        }
        if (header == null) throw CalqException.file(file, "empty: no header row");
        return new CsvTable(file, header, rows, numbers);
    }

    private static String[] split(Path file, int lineNo, String line) {
        List<String> out = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') quoted = false;
                else field.append(c);
            } else if (c == '"' && field.isEmpty()) quoted = true;
            else if (c == ',') {
                out.add(field.toString());
                field.setLength(0);
            } else field.append(c);
        }
        if (quoted) throw CalqException.file(file, "line " + lineNo + ": unterminated quote");
        out.add(field.toString());
        return out.toArray(String[]::new);
    }

    public Path file() { return file; }

    public List<String> columns() { return columns; }

    public int size() { return rows.size(); }

    /** The index of a column; a one-line error listing the columns when there is none of that name. */
    public int column(String name) {
        int i = columns.indexOf(name);
        if (i < 0) throw CalqException.file(file, "no column " + name + " (columns: " + String.join(", ", columns) + ")");
        return i;
    }

    public String text(int row, int column) { return rows.get(row)[column].trim(); }

    /** A numeric field; empty fields are NaN (a point that is not drawn). */
    public double number(int row, int column) {
        String s = text(row, column);
        if (s.isEmpty()) return Double.NaN;
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw CalqException.file(file, "line " + lineNumbers.get(row) + ", column " + columns.get(column) + ": not a number: " + s);
        }
    }
}
