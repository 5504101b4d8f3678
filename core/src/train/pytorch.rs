//! "Copy as PyTorch": a self-contained Python script that builds the same model, initialization,
//! optimizer and training loop as a run's [`Settings`].
//!
//! Exact equivalents: nn.SELU, nn.GELU() (erf) and nn.GELU(approximate="tanh"), nn.ELU(alpha),
//! nn.LeakyReLU(slope), nn.SiLU (Swish with beta 1; other betas as a small module), nn.Softplus
//! (PyTorch returns x where x > 20, which differs from log(1 + e^x) by less than 2e-9),
//! nn.Dropout, nn.AlphaDropout, nn.BatchNorm1d(momentum=0.1, eps=1e-5), nn.LayerNorm(eps=1e-5),
//! torch.optim.SGD(momentum) and torch.optim.Adam(betas=(0.9, 0.999), eps=1e-8). Initializers are
//! written out from their variances (LeCun normal as `nn.init.normal_(w, 0, 1 / math.sqrt(fan_in))`),
//! with nn.init's own functions where they agree (Xavier, orthogonal).
//!
//! Not the same: the random numbers (so not the same weights, batches or masks), and the split
//! (scikit-learn's `train_test_split(stratify=y)`: the same class proportions, other examples).
//! The digits come from `sklearn.datasets.load_digits` (the same 1797 examples as
//! static/digits.bin), the 2-D tasks from the same definitions written in numpy.

use crate::activation::ActivationKind;
use crate::config::{Arch, NormAt, Normalization};
use crate::init::Initializer;
use crate::train::data::Shape2d;
use crate::train::model::DropoutKind;
use crate::train::optim::OptimizerKind;
use crate::train::trainer::{Settings, Task};
use std::fmt::Write;

/// A Python string literal (double-quoted, with backslashes, quotes and control characters
/// escaped).
fn py_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Python float literal.
fn py_f(v: f64) -> String {
    format!("{v:?}")
}

/// The module of an activation this writer has no PyTorch equivalent for.
const MISSING_CLASS: &str = "\n\nclass Missing(nn.Module):\n    \"\"\"An activation this script writer does not know yet.\"\"\"\n\n    def __init__(self, name):\n        super().__init__()\n        raise NotImplementedError(name + \" has no PyTorch module in this script: write its forward pass\")\n";

fn activation_code(s: &Settings) -> (String, &'static str) {
    let a = s.activation;
    let code = match a.kind {
        ActivationKind::Relu => "nn.ReLU()".to_string(),
        ActivationKind::LeakyRelu => {
            format!("nn.LeakyReLU(negative_slope={})", py_f(f64::from(a.slope)))
        }
        ActivationKind::Elu => format!("nn.ELU(alpha={})", py_f(f64::from(a.alpha))),
        ActivationKind::Selu => "nn.SELU()".to_string(),
        ActivationKind::Gelu => "nn.GELU()".to_string(),
        ActivationKind::GeluTanh => "nn.GELU(approximate=\"tanh\")".to_string(),
        ActivationKind::Silu if a.beta == 1.0 => "nn.SiLU()".to_string(),
        ActivationKind::Silu => format!("Swish({})", py_f(f64::from(a.beta))),
        ActivationKind::Tanh => "nn.Tanh()".to_string(),
        ActivationKind::Sigmoid => "nn.Sigmoid()".to_string(),
        ActivationKind::Softplus => "nn.Softplus()".to_string(),
        ActivationKind::Linear => "nn.Identity()".to_string(),
        ActivationKind::Mish => "nn.Mish()".to_string(),
        // CELU's alpha -> 0 limit is ReLU (PyTorch's CELU would divide by zero).
        ActivationKind::Celu if a.alpha == 0.0 => "nn.ReLU()  # CELU with alpha 0".to_string(),
        ActivationKind::Celu => format!("nn.CELU(alpha={})", py_f(f64::from(a.alpha))),
        // An activation added to the table without a PyTorch equivalent here: the script
        // says so when it runs instead of training something else.
        #[allow(unreachable_patterns)]
        _ => return (format!("Missing({:?})", a.kind.name()), MISSING_CLASS),
    };
    let swish = if a.kind == ActivationKind::Silu && a.beta != 1.0 {
        "\n\nclass Swish(nn.Module):\n    \"\"\"x * sigmoid(beta x).\"\"\"\n\n    def __init__(self, beta):\n        super().__init__()\n        self.beta = beta\n\n    def forward(self, x):\n        return x * torch.sigmoid(self.beta * x)\n"
    } else {
        ""
    };
    (code, swish)
}

fn init_code(init: Initializer) -> &'static str {
    match init {
        Initializer::LecunNormal => {
            "nn.init.normal_(w, 0.0, 1.0 / math.sqrt(fan_in))  # LeCun normal, untruncated"
        }
        Initializer::LecunUniform => {
            "bound = math.sqrt(3.0 / fan_in)  # LeCun uniform\n        nn.init.uniform_(w, -bound, bound)"
        }
        Initializer::HeNormal => "nn.init.normal_(w, 0.0, math.sqrt(2.0 / fan_in))  # He normal",
        Initializer::HeUniform => {
            "bound = math.sqrt(6.0 / fan_in)  # He uniform\n        nn.init.uniform_(w, -bound, bound)"
        }
        Initializer::XavierNormal => "nn.init.xavier_normal_(w)  # N(0, 2 / (fan_in + fan_out))",
        Initializer::XavierUniform => {
            "nn.init.xavier_uniform_(w)  # U(+-sqrt(6 / (fan_in + fan_out)))"
        }
        Initializer::Orthogonal => {
            "nn.init.orthogonal_(w)  # Haar orthogonal (QR with the sign fix), rectangular allowed"
        }
        Initializer::Normal => "nn.init.normal_(w, 0.0, 1.0)  # standard normal",
    }
}

fn data_code(task: &Task) -> String {
    match task {
        Task::Digits => "\
# The 8x8 digits: UCI optdigits test set, Alpaydin and Kaynak 1998, CC BY 4.0, as bundled with
# scikit-learn (the same 1797 examples as Activation Lab's static/digits.bin).
from sklearn.datasets import load_digits

digits = load_digits()
X = digits.data.astype(np.float32)
y = digits.target.astype(np.int64)
"
        .to_string(),
        Task::TwoD {
            shape,
            noise,
            data_seed,
        } => {
            let body = match shape {
                Shape2d::Spiral => {
                    "\
points = []
for label, offset in ((1, 0.0), (0, math.pi)):
    for i in range(HALF):
        r = i / HALF * 5.0
        t = 1.75 * i / HALF * 2.0 * math.pi + offset
        points.append((r * math.sin(t) + rng.uniform(-1, 1) * NOISE,
                       r * math.cos(t) + rng.uniform(-1, 1) * NOISE, label))
"
                }
                Shape2d::Circle => {
                    "\
points = []
for r_lo, r_hi in ((0.0, 2.5), (3.5, 5.0)):
    for _ in range(HALF):
        r = rng.uniform(r_lo, r_hi)
        angle = rng.uniform(0.0, 2.0 * math.pi)
        x1, x2 = r * math.sin(angle), r * math.cos(angle)
        n1, n2 = rng.uniform(-5.0, 5.0) * NOISE, rng.uniform(-5.0, 5.0) * NOISE
        points.append((x1, x2, int(math.hypot(x1 + n1, x2 + n2) < 2.5)))
"
                }
                Shape2d::Xor => {
                    "\
points = []
pad = lambda v: v + 0.3 if v > 0 else v - 0.3
for _ in range(2 * HALF):
    x1, x2 = pad(rng.uniform(-5.0, 5.0)), pad(rng.uniform(-5.0, 5.0))
    n1, n2 = rng.uniform(-5.0, 5.0) * NOISE, rng.uniform(-5.0, 5.0) * NOISE
    points.append((x1, x2, int((x1 + n1) * (x2 + n2) >= 0)))
"
                }
                Shape2d::Gauss => {
                    "\
points = []
std = math.sqrt(0.5 + 7.0 * NOISE)
for label, centre in ((1, 2.0), (0, -2.0)):
    for _ in range(HALF):
        points.append((centre + std * rng.normal(), centre + std * rng.normal(), label))
"
                }
            };
            format!(
                "# The \"{name}\" task: 500 points, two classes (the same definitions as Activation Lab's,\n\
                 # other random numbers).\n\
                 NOISE = {noise}\n\
                 HALF = 250\n\
                 rng = np.random.default_rng({data_seed})\n\
                 {body}\
                 X = np.array([p[:2] for p in points], dtype=np.float32)\n\
                 y = np.array([p[2] for p in points], dtype=np.int64)\n",
                name = shape.name(),
                noise = py_f(*noise),
            )
        }
        Task::Csv { name, label_column } => {
            let label = match label_column {
                Some(c) => c.to_string(),
                None => "len(header) - 1".to_string(),
            };
            format!(
                "\
# Your CSV: a header row, numeric features, the label column; classes are the integer labels
# in numeric order, or else the string labels in lexicographic order (as in Activation Lab).
import csv

with open({file}, newline=\"\") as f:
    rows = [[field.strip().strip('\"').strip() for field in row]
            for row in csv.reader(f) if any(field.strip() for field in row)]
header, rows = rows[0], rows[1:]
LABEL_COLUMN = {label}
labels = [row[LABEL_COLUMN] for row in rows]
try:
    keys = [int(v) for v in labels]
except ValueError:
    keys = labels
classes = sorted(set(keys))
y = np.array([classes.index(k) for k in keys], dtype=np.int64)
X = np.array([[float(v) for c, v in enumerate(row) if c != LABEL_COLUMN] for row in rows],
             dtype=np.float32)
",
                file = py_str(name),
            )
        }
    }
}

/// The Python script for `settings` (see the module documentation).
pub fn pytorch_script(settings: &Settings) -> String {
    let s = settings;
    let (act, swish) = activation_code(s);
    let norm = match s.norm {
        Normalization::None => "None".to_string(),
        Normalization::Batch => "nn.BatchNorm1d(WIDTH, eps=1e-5, momentum=0.1)".to_string(),
        Normalization::Layer => "nn.LayerNorm(WIDTH, eps=1e-5)".to_string(),
        Normalization::Group => format!("nn.GroupNorm({}, WIDTH, eps=1e-5)", s.groups),
        // nn.RMSNorm (PyTorch 2.4 and later) has a scale and no shift, as here.
        Normalization::Rms => "nn.RMSNorm(WIDTH, eps=1e-5)".to_string(),
    };
    let dropout = match s.dropout {
        _ if s.dropout_rate == 0.0 => "None".to_string(),
        DropoutKind::None => "None".to_string(),
        DropoutKind::Standard => format!("nn.Dropout(p={})", py_f(s.dropout_rate)),
        DropoutKind::Alpha => format!("nn.AlphaDropout(p={})", py_f(s.dropout_rate)),
    };
    let optimizer = match s.optimizer {
        OptimizerKind::Sgd => format!(
            "torch.optim.SGD(model.parameters(), lr={}, momentum={})",
            py_f(s.lr),
            py_f(s.momentum)
        ),
        OptimizerKind::Adam => format!(
            "torch.optim.Adam(model.parameters(), lr={}, betas=(0.9, 0.999), eps=1e-8)",
            py_f(s.lr)
        ),
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "\
#!/usr/bin/env python3
\"\"\"Activation Lab, Train lab: this run as a standalone PyTorch script (\"Copy as PyTorch\").

Same model, initialization, optimizer and training loop; other random numbers, so the curves
agree in distribution, not number for number. Needs torch, numpy and scikit-learn.
\"\"\"
import math

import numpy as np
import torch
import torch.nn as nn
from sklearn.model_selection import train_test_split

SEED = {seed}
torch.manual_seed(SEED)

# ---- Data
{data}
# Stratified 80/20 split, then standardization with the training split's mean and (population)
# std; features with std 0 stay 0.
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.2, stratify=y, random_state=SEED % 2**32)
mean, std = X_train.mean(axis=0), X_train.std(axis=0)
scale = np.where(std > 0, std, 1.0)
X_train = np.where(std > 0, (X_train - mean) / scale, 0.0).astype(np.float32)
X_test = np.where(std > 0, (X_test - mean) / scale, 0.0).astype(np.float32)
X_train, X_test = torch.from_numpy(X_train), torch.from_numpy(X_test)
y_train, y_test = torch.from_numpy(y_train), torch.from_numpy(y_test)
INPUTS, CLASSES = X_train.shape[1], int(y.max()) + 1

# ---- Model: INPUTS -> DEPTH x (Linear -> [norm] -> activation -> [dropout]) -> Linear -> CLASSES
DEPTH, WIDTH = {depth}, {width}
GAIN, BIAS_STD = {gain}, {bias_std}
{swish}

def init_linear(linear):
    # nn.Linear stores W as (fan_out, fan_in) and computes x W^T + b.
    # Note: nn.init.calculate_gain(\"selu\") is 3/4, so kaiming_normal_(w, nonlinearity=\"selu\")
    # does not give self-normalizing weights; PyTorch's docs say to use nonlinearity=\"linear\"
    # (std 1/sqrt(fan_in), LeCun normal) for SELU networks, which is what LeCun normal is here.
    w = linear.weight
    fan_out, fan_in = w.shape
    with torch.no_grad():
        {init}
        w.mul_(GAIN)
        if BIAS_STD > 0:
            nn.init.normal_(linear.bias, 0.0, BIAS_STD)
        else:
            nn.init.zeros_(linear.bias)
    return linear


NORM_AFTER_ACTIVATION = {norm_after}


def hidden_layer(fan_in):
    parts = [init_linear(nn.Linear(fan_in, WIDTH))]
    norm = {norm}
    if norm is not None and not NORM_AFTER_ACTIVATION:
        parts.append(norm)  # scale 1 and shift 0 at the start
    # Activation: {act_label}; nn.GELU() is the exact (erf) form and nn.Softplus returns x
    # for x > 20 (within 2e-9 of log(1 + e^x)).
    parts.append({act})
    if norm is not None and NORM_AFTER_ACTIVATION:
        parts.append(norm)  # after the activation, as the SNN paper's BatchNorm baseline
    dropout = {dropout}
    if dropout is not None:
        parts.append(dropout)
    return parts


RESIDUAL, RES_SCALE = {residual}, {res_scale}


class Residual(nn.Module):
    \"\"\"x + s * branch(norm(x)): a pre-norm residual block (the normalization acts on the stream).\"\"\"

    def __init__(self, norm, branch):
        super().__init__()
        self.norm = norm if norm is not None else nn.Identity()
        self.branch = nn.Sequential(*branch)

    def forward(self, x):
        return x + RES_SCALE * self.branch(self.norm(x))


def residual_block():
    branch = [init_linear(nn.Linear(WIDTH, WIDTH)), {act}]
    dropout = {dropout}
    if dropout is not None:
        branch.append(dropout)
    return Residual({norm}, branch)


layers = []
for l in range(DEPTH):
    # A residual network keeps its first layer plain: it maps the inputs to the width.
    if RESIDUAL and l > 0:
        layers.append(residual_block())
    else:
        layers += hidden_layer(INPUTS if l == 0 else WIDTH)
layers.append(init_linear(nn.Linear(WIDTH if DEPTH > 0 else INPUTS, CLASSES)))
model = nn.Sequential(*layers)

# ---- Training: softmax cross-entropy (mean over the minibatch), minibatches without
# replacement (a new permutation per epoch, the last incomplete batch skipped).
optimizer = {optimizer}
loss_fn = nn.CrossEntropyLoss()
STEPS, EVAL_EVERY, TBATCH = {steps}, {eval_every}, {tbatch}
batch = min(TBATCH, len(X_train))
generator = torch.Generator().manual_seed(SEED)


def evaluate(X, y):
    model.eval()  # BatchNorm: running statistics; dropout: off
    with torch.no_grad():
        logits = model(X)
        loss = loss_fn(logits, y).item()
        acc = (logits.argmax(dim=1) == y).float().mean().item()
    model.train()
    return loss, acc


def report(step, batch_loss):
    train_loss, train_acc = evaluate(X_train, y_train)
    test_loss, test_acc = evaluate(X_test, y_test)
    print(f\"{{step}},{{batch_loss}},{{train_loss:.6f}},{{train_acc:.4f}},{{test_loss:.6f}},{{test_acc:.4f}}\")


print(\"step,batch_loss,train_loss,train_acc,test_loss,test_acc\")
model.train()
report(0, \"\")
perm, pos = None, 0
for step in range(1, STEPS + 1):
    if perm is None or pos + batch > len(X_train):
        perm, pos = torch.randperm(len(X_train), generator=generator), 0
    idx = perm[pos:pos + batch]
    pos += batch
    loss = loss_fn(model(X_train[idx]), y_train[idx])  # the loss before this update
    if not torch.isfinite(loss):
        print(f\"diverged at step {{step}}\")
        break
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % EVAL_EVERY == 0 or step == STEPS:
        report(step, f\"{{loss.item():.6f}}\")
",
        seed = s.seed,
        data = data_code(&s.task),
        depth = s.depth,
        width = s.width,
        gain = py_f(s.gain),
        bias_std = py_f(s.bias_std),
        swish = swish,
        init = init_code(s.init),
        norm = norm,
        norm_after = if s.norm_at == NormAt::Post { "True" } else { "False" },
        residual = if s.arch == Arch::Residual { "True" } else { "False" },
        res_scale = py_f(s.res_scale),
        act = act,
        act_label = s.activation.kind.label(),
        dropout = dropout,
        optimizer = optimizer,
        steps = s.steps,
        eval_every = s.eval_every,
        tbatch = s.tbatch,
    );
    out
}
