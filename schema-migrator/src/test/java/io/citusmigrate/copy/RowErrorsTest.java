package io.citusmigrate.copy;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The text COPY line of a refused row read back into values, and the reject file's CSV read back into records. */
class RowErrorsTest {
    @Test
    void aTextCopyLineIsSplitIntoItsValuesWithEscapesUndone() {
        byte[] line = "1\t\\N\ta\\tb\\nc\\\\d\t\t\\101\\x42é\n".getBytes(StandardCharsets.UTF_8);
        assertEquals(Arrays.asList("1", null, "a\tb\nc\\d", "", "ABé"), RowErrors.fields(line));
    }

    @Test
    void theCsvIsReadBackNullsEmptyStringsQuotesAndLineBreaksKept() {
        String csv = "\"id\",\"note\",\"citus_migrate_error\"\n\"1\",,\"say \"\"hi\"\"\"\n\"2\",\"\",\"two\nlines, and a comma\"\n";
        List<List<String>> r = RowErrors.records(csv);
        assertEquals(3, r.size());
        assertEquals(List.of("id", "note", "citus_migrate_error"), r.get(0));
        assertEquals(Arrays.asList("1", null, "say \"hi\""), r.get(1));
        assertEquals(Arrays.asList("2", "", "two\nlines, and a comma"), r.get(2));
    }
}
