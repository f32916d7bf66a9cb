// A Java service under threadleak run, by args[0]:
//   clean  one shared executor for every request, shut down at the end
//   leak   an executor per request, never shut down (the JVM is ended by System.exit)
// args[1]: requests (default 40), args[2]: ms between them (default 50).
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

public class RtJava {
    static int handle(ExecutorService ex, int i) throws Exception {
        return ex.submit(() -> i * 2).get();
    }

    public static void main(String[] args) throws Exception {
        boolean leak = args.length > 0 && args[0].equals("leak");
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 40;
        long gap = args.length > 2 ? Long.parseLong(args[2]) : 50;
        ExecutorService shared = leak ? null : Executors.newFixedThreadPool(4);
        long sum = 0;
        for (int i = 0; i < n; i++) {
            ExecutorService ex = leak ? Executors.newFixedThreadPool(1) : shared;
            sum += handle(ex, i);
            Thread.sleep(gap);
        }
        System.out.println("served " + n + " " + sum);
        if (leak)
            System.exit(0);
        shared.shutdown();
        shared.awaitTermination(10, TimeUnit.SECONDS);
    }
}
