# A Python service under threadleak run, by argv[1]:
#   clean  one ThreadPoolExecutor in a with block for every request
#   leak   a ThreadPoolExecutor per request, never shut down (interpreter exit joins them)
# argv[2]: requests (default 60), argv[3]: ms between them (default 50).
import sys
import time
from concurrent.futures import ThreadPoolExecutor

mode = sys.argv[1] if len(sys.argv) > 1 else "clean"
n = int(sys.argv[2]) if len(sys.argv) > 2 else 60
gap = (int(sys.argv[3]) if len(sys.argv) > 3 else 50) / 1000.0

def work(i):
    return i * 2

def main():
    total = 0
    if mode == "leak":
        kept = []
        for i in range(n):
            ex = ThreadPoolExecutor(max_workers=1)
            kept.append(ex)
            total += ex.submit(work, i).result()
            time.sleep(gap)
    else:
        with ThreadPoolExecutor(max_workers=4) as ex:
            for i in range(n):
                total += ex.submit(work, i).result()
                time.sleep(gap)
    print("served", n, total)

main()
