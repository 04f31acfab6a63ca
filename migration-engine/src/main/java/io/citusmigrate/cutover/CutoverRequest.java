package io.citusmigrate.cutover;

import io.citusmigrate.BadInput;

import java.nio.file.Path;

/**
 * What `cutover` was asked.
 *
 * @param file          the command file (named in advice to the user)
 * @param maxLagSeconds refuse when catching up would take longer; infinite for `--max-lag off`
 */
public record CutoverRequest(Path file, String slot, boolean stopWrites, int timeoutSeconds, double maxLagSeconds) {

    /** --max-lag: seconds, or off. */
    public static double maxLag(String given) {
        try {
            return given.equals("off") ? Double.POSITIVE_INFINITY : Double.parseDouble(given);
        } catch (NumberFormatException e) {
            throw new BadInput("--max-lag must be a number of seconds or off, not " + given);
        }
    }
}
