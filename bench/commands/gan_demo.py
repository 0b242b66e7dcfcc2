"""``cnnlab gan-demo``: train the digits DCGAN and measure it offline, epoch by epoch."""

from __future__ import annotations

import sys

NAME = "gan-demo"
HELP = ("train a small DCGAN on scikit-learn's digits; sample grids per epoch, loss curves, and "
        "class coverage and Frechet distance by epoch (offline)")


def configure(parser) -> None:
    parser.add_argument("--framework", default="torch", help="torch or keras (default torch)")
    parser.add_argument("--epochs", type=int, default=30, help="epochs (default 30)")
    parser.add_argument("--batch-size", type=int, default=32, help="batch size (default 32)")
    parser.add_argument("--k", type=int, default=1,
                        help="discriminator steps per generator step (default 1)")
    parser.add_argument("--real-label", type=float, default=1.0,
                        help="target of real images; 0.9 is one-sided label smoothing (default 1.0)")
    parser.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate (default 2e-4)")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights, noise and batches")
    parser.add_argument("--steps-per-epoch", type=int, default=None,
                        help="cap on alternating steps per epoch (default: one pass over the digits)")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads of the framework (default 1: small layers on a shared "
                        "machine run faster on one thread than on contended ones)")
    parser.add_argument("--out", default="out/gan", help="folder for samples_epoch_NN.png, "
                        "losses.png and gan_demo.json (default out/gan)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _threads(framework: str, threads: int) -> None:
    if framework == "torch":
        import torch

        torch.set_num_threads(threads)
    else:
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:  # already initialised in this process
            pass


def run(args) -> int:
    from dataclasses import replace

    from cnnlab.errors import UsageError
    from cnnlab.reference import check_framework
    from cnnlab.reference.gan.demo import GanDemoConfig, run_gan_demo, twin

    framework = check_framework(args.framework)
    if args.threads < 1:
        raise UsageError(f"--threads must be a positive int; got {args.threads}")
    config = replace(GanDemoConfig(), epochs=args.epochs, batch_size=args.batch_size, k=args.k,
                     real_label=args.real_label, lr=args.lr, seed=args.seed,
                     steps_per_epoch=args.steps_per_epoch).check()
    twin(framework)  # a missing framework is one line before any work
    _threads(framework, args.threads)
    from tqdm import tqdm

    from cnnlab.bench.jobs.common import output_folder
    from cnnlab.reports.gan import quality_table

    out = output_folder(args.out)
    with tqdm(desc=f"gan-demo ({framework})", unit="step", disable=args.quiet, leave=False,
              file=sys.stderr) as bar:
        def progress(step, total, losses):
            bar.total = total
            # refresh=False: update() redraws at most every 0.1 s (a redraw per step filled logs)
            bar.set_postfix_str(f"D {losses['d_loss']:.3f} G {losses['g_loss']:.3f}", refresh=False)
            bar.update()

        result = run_gan_demo(config, framework=framework, out=out, progress=progress)
    record = result.as_dict()
    print(quality_table(record))
    print(f"\njudge: a digits classifier with {record['judge_accuracy']:.1%} held-out accuracy; "
          f"{len(result.losses['step'])} alternating steps in {result.train_seconds:.0f} s of "
          f"training ({result.seconds:.0f} s in all); wrote {len(result.files)} PNGs and "
          f"{out / 'gan_demo.json'}")
    if result.diverged:
        d = result.diverged
        epochs = [f for f in result.files if f.startswith("samples")]
        print(f"stopped: {d['message']}; kept the samples of {len(epochs)} epoch(s) before it "
              f"and the loss curves up to it in {out}/ (try a smaller --lr)", file=sys.stderr)
        return 1
    return 0
