"""CPython threading: 6 threads blocked in Event.wait, 4 in Lock.acquire on
a lock the main thread holds, 3 in queue.Queue.get on an empty queue. Every
one of them ends in PyThread_acquire_lock_timed, which CPython 3.11 builds
on POSIX semaphores (sem_wait). The main thread sleeps (time.sleep)."""
import queue
import threading
import time

N_EVENT, N_LOCK, N_QUEUE = 6, 4, 3

event = threading.Event()
held = threading.Lock()
q = queue.Queue()


def py_event_waiter():
    event.wait()


def py_lock_waiter():
    with held:
        pass


def py_queue_waiter():
    q.get()


def spawn_python_threads():
    threads = []
    for fn, n in ((py_event_waiter, N_EVENT), (py_lock_waiter, N_LOCK), (py_queue_waiter, N_QUEUE)):
        for _ in range(n):
            t = threading.Thread(target=fn, daemon=True)
            t.start()
            threads.append(t)
    return threads


held.acquire()
leaked = spawn_python_threads()
time.sleep(0.3)
print("ready", flush=True)
while True:
    time.sleep(3600)
