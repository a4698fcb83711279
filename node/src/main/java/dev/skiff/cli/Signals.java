package dev.skiff.cli;

import sun.misc.Signal;

/**
 * SIGTERM and SIGINT end a node cleanly with exit code 0 (API.md §1), which a JVM shutdown hook
 * cannot do (the JVM would exit 143). The handler runs the shutdown on its own thread; the
 * command's main thread then returns 0.
 */
final class Signals {

    private Signals() {
    }

    static void onTermination(Runnable shutdown) {
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), sig -> Thread.ofPlatform().name("skiff-shutdown").start(shutdown));
        }
    }
}
