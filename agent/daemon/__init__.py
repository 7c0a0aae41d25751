"""The unattended part: webhook receiver, poller, worker, runner monitor, and the Daemon wiring them.

Import the submodules directly (agent.daemon.service, agent.daemon.receiver, …); this package keeps
no imports of its own so `agent status` stays fast.
"""
