package loomframe.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the documentation's code honest. A Markdown file marks a code block with
 * {@code <!-- snippet: src/main/java/.../File.java#tag -->} on the line before its fence; the block
 * must equal the lines between {@code // tag::tag[]} and {@code // end::tag[]} in that file
 * (indentation removed). When the code changes, this test fails until the document follows.
 */
class DocSnippetsTest {
    private static final Pattern MARKER = Pattern.compile("<!-- snippet: (\\S+)#(\\S+) -->\\R```[a-z]*\\R(.*?)```", Pattern.DOTALL);

    static List<Path> documents() throws IOException {
        List<Path> docs = new ArrayList<>(List.of(Path.of("README.md")));
        if (Files.isDirectory(Path.of("docs"))) {
            try (Stream<Path> s = Files.walk(Path.of("docs"))) {
                s.filter(p -> p.toString().endsWith(".md")).forEach(docs::add);
            }
        }
        return docs;
    }

    @Test
    void everySnippetMatchesItsSource() throws IOException {
        int checked = 0;
        for (Path doc : documents()) {
            Matcher m = MARKER.matcher(Files.readString(doc));
            while (m.find()) {
                String expected = region(Path.of(m.group(1)), m.group(2));
                assertEquals(expected, dedent(m.group(3)), doc + ": snippet " + m.group(1) + "#" + m.group(2)
                        + " differs from the source; run scripts/sync-snippets.py (or copy the region between its tag markers)");
                checked++;
            }
        }
        assertTrue(checked > 0, "the README's embedding example at least is checked");
    }

    /** The lines between the tag markers, without their common indentation. */
    static String region(Path source, String tag) throws IOException {
        List<String> lines = Files.readAllLines(source);
        int start = -1, end = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).trim().equals("// tag::" + tag + "[]")) start = i + 1;
            if (lines.get(i).trim().equals("// end::" + tag + "[]")) end = i;
        }
        assertFalse(start < 0 || end < start, source + " has no region '" + tag + "'");
        return dedent(String.join("\n", lines.subList(start, end)) + "\n");
    }

    static String dedent(String block) {
        List<String> lines = block.lines().toList();
        int indent = lines.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        StringBuilder out = new StringBuilder();
        for (String l : lines) out.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
        return out.toString();
    }
}
