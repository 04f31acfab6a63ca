package io.citusmigrate.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;

/**
 * Gives a test class its embedded source PostgreSQL and the best Citus there is
 * ({@link CitusTarget#open}), in its static fields of those types, before its own
 * {@code @BeforeAll} methods run; closes both after the class. One embedded database per class.
 * <pre>{@code @ExtendWith(SourceAndCitus.class) class T { static EmbeddedPg pg; static CitusTarget citus; ... }}</pre>
 */
public final class SourceAndCitus implements BeforeAllCallback, AfterAllCallback {
    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        EmbeddedPg pg = EmbeddedPg.start();
        CitusTarget citus = CitusTarget.open(pg);
        set(context.getRequiredTestClass(), EmbeddedPg.class, pg);
        set(context.getRequiredTestClass(), CitusTarget.class, citus);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        CitusTarget citus = (CitusTarget) get(context.getRequiredTestClass(), CitusTarget.class);
        EmbeddedPg pg = (EmbeddedPg) get(context.getRequiredTestClass(), EmbeddedPg.class);
        try {
            if (citus != null) citus.close();
        } finally {
            if (pg != null) pg.close();
        }
    }

    private static void set(Class<?> test, Class<?> type, Object value) throws IllegalAccessException {
        Field f = field(test, type);
        if (f != null) f.set(null, value);
    }

    private static Object get(Class<?> test, Class<?> type) throws IllegalAccessException {
        Field f = field(test, type);
        return f == null ? null : f.get(null);
    }

    private static Field field(Class<?> test, Class<?> type) {
        for (Field f : test.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == type) {
                f.setAccessible(true);
                return f;
            }
        }
        return null;
    }
}
