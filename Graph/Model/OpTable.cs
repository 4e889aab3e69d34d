using System;
using System.Collections.Generic;
using System.Linq;

namespace Symbolic.Graph
{
    /// <summary>
    /// The one list of ops: a descriptor per <see cref="OpKind"/>. The builder's shape rules, the layer structure, the scalar
    /// activations, the parser, the generated vocabulary, its diagnostics and the reference engine's registry all read it.
    /// </summary>
#if SYMBOLIC_GENERATOR
    internal
#else
    public
#endif
    static class OpTable
    {
        private static readonly OpDescriptor?[] ByKind;
        private static readonly Dictionary<string, OpDescriptor> ByDeclarationName = new Dictionary<string, OpDescriptor>(StringComparer.Ordinal);

        static OpTable()
        {
            var x = new OpArgument("x", ArgumentRole.PerSample);
            All = new[]
            {
                new OpDescriptor(OpKind.Input, NodeRole.Input, null, "a per-sample input vector fed from the batch.", Array.Empty<OpArgument>(), Leaf),
                new OpDescriptor(OpKind.Weight, NodeRole.Parameter, null, "a trainable weight matrix [rows, cols].", Array.Empty<OpArgument>(), WeightShape),
                new OpDescriptor(OpKind.Bias, NodeRole.Parameter, null, "a trainable bias vector [n].", Array.Empty<OpArgument>(), BiasShape),
                new OpDescriptor(OpKind.Kernel, NodeRole.Parameter, null, "a trainable convolution kernel [out, in, height, width].", Array.Empty<OpArgument>(), KernelShape),
                // The computed ops in the order of the generated vocabulary (and of SYM007's list).
                Elementwise(OpKind.Relu, "Relu", "the rectified linear unit, max(x, 0).", x, new ScalarFunction(
                    (_, v) => v > 0 ? v : 0.0,
                    (_, v) => v > 0 ? 1.0 : 0.0)),
                Elementwise(OpKind.Tanh, "Tanh", "the hyperbolic tangent.", x, new ScalarFunction(
                    (_, v) => Math.Tanh(v),
                    (_, v) => { double t = Math.Tanh(v); return 1.0 - t * t; },
                    (_, y) => 0.5 * Math.Log((1 + y) / (1 - y)))),
                Elementwise(OpKind.Sigmoid, "Sigmoid", "the logistic sigmoid.", x, new ScalarFunction(
                    (_, v) => Activation.Sigmoid(v),
                    (_, v) => { double s = Activation.Sigmoid(v); return s * (1.0 - s); },
                    (_, y) => Math.Log(y / (1 - y)))),
                Elementwise(OpKind.Softplus, "Softplus", "softplus, log(1 + e^x).", x, new ScalarFunction(
                    (_, v) => Activation.Softplus(v),
                    (_, v) => Activation.Sigmoid(v),
                    (_, y) => y > 30 ? y + Activation.Log1p(-Math.Exp(-y)) : Math.Log(Math.Exp(y) - 1.0))),
                Elementwise(OpKind.Identity, "Identity", "the identity, as a node of its own.", x, new ScalarFunction(
                    (_, v) => v,
                    (_, _) => 1.0,
                    (_, y) => y)),
                Elementwise(OpKind.LeakyRelu, "LeakyRelu", "the leaky ReLU with a constant slope in [0, 1) below zero.", x, new ScalarFunction(
                        (alpha, v) => v > 0 ? v : alpha * v,
                        (alpha, v) => v > 0 ? 1.0 : alpha,
                        (alpha, y) => y > 0 ? y : y / alpha,
                        alpha => alpha > 0),
                    new ConstantArgument("slope", 0.01, "[0, 1)", alpha => alpha >= 0 && alpha < 1)),
                new OpDescriptor(OpKind.Concat, NodeRole.Computed, "Concat", "the concatenation of vectors, or of images of one height and width along their channels.",
                    new[] { new OpArgument("parts", ArgumentRole.PerSample, isVariadic: true, minimumCount: 1) }, ConcatShape),
                new OpDescriptor(OpKind.Add, NodeRole.Computed, "Add", "the elementwise sum of two or more values.",
                    new[] { new OpArgument("terms", ArgumentRole.PerSample, isVariadic: true, minimumCount: 2) }, EqualShapes),
                new OpDescriptor(OpKind.Mul, NodeRole.Computed, "Mul", "the elementwise product of two values (a gate).",
                    new[] { new OpArgument("left", ArgumentRole.PerSample), new OpArgument("right", ArgumentRole.PerSample) }, EqualShapes),
                new OpDescriptor(OpKind.MatVec, NodeRole.Computed, "MatVec", "the product of a weight matrix and a vector.",
                    new[] { new OpArgument("weight", ArgumentRole.Weight), x }, MatVecShape, perSampleRank: 1),
                new OpDescriptor(OpKind.BiasAdd, NodeRole.Computed, "BiasAdd", "the addition of a bias to a vector.",
                    new[] { x, new OpArgument("bias", ArgumentRole.Bias) }, BiasAddShape, layerInteriorArgument: 0, perSampleRank: 1),
                new OpDescriptor(OpKind.Conv2d, NodeRole.Computed, "Conv2d", "the convolution of an image by a kernel with a stride and zero padding on every side.",
                    new[] { new OpArgument("kernel", ArgumentRole.Kernel), x }, Conv2dShape,
                    new[] { Stride, new ConstantArgument("padding", 0, "[0, " + MaxWindow.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]", v => v >= 0 && v <= MaxWindow, isInteger: true) }, perSampleRank: 3),
                new OpDescriptor(OpKind.ChannelBiasAdd, NodeRole.Computed, "ChannelBiasAdd", "the addition of a per-channel bias to every position of an image.",
                    new[] { x, new OpArgument("bias", ArgumentRole.Bias) }, ChannelBiasAddShape, layerInteriorArgument: 0, perSampleRank: 3),
                new OpDescriptor(OpKind.MaxPool, NodeRole.Computed, "MaxPool", "the maximum of each channel over square windows with a stride.",
                    new[] { x }, PoolShape, new[] { Window, Stride }, perSampleRank: 3),
                new OpDescriptor(OpKind.AvgPool, NodeRole.Computed, "AvgPool", "the mean of each channel over square windows with a stride.",
                    new[] { x }, PoolShape, new[] { Window, Stride }, perSampleRank: 3),
                // A flatten only reshapes: its producer (a pool's or a conv layer's output) shares its unit, as the paper's layers do.
                new OpDescriptor(OpKind.Flatten, NodeRole.Computed, "Flatten", "an image as a vector in (channel, row, column) order.",
                    new[] { x }, FlattenShape, layerInteriorArgument: 0, perSampleRank: 3),
                new OpDescriptor(OpKind.Slice, NodeRole.Computed, "Slice", "the units [start, start + count) of a vector.",
                    new[] { x }, SliceShape,
                    new[] { new ConstantArgument("start", 0, "[0, " + int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]", v => v >= 0 && v <= int.MaxValue, isInteger: true),
                        new ConstantArgument("count", 1, "[1, " + int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]", v => v >= 1 && v <= int.MaxValue, isInteger: true) }, perSampleRank: 1),
            };

            ByKind = new OpDescriptor?[All.Max(d => (int)d.Kind) + 1];
            foreach (var d in All)
            {
                // Two descriptors of one op or one name would make lookups depend on order; fail at once instead.
                if (ByKind[(int)d.Kind] is not null) throw new InvalidOperationException("OpTable has two descriptors of " + d.Kind + ".");
                ByKind[(int)d.Kind] = d;
                if (d.DeclarationName is null) continue;
                if (ByDeclarationName.ContainsKey(d.DeclarationName)) throw new InvalidOperationException("OpTable has two ops declared as '" + d.DeclarationName + "'.");
                ByDeclarationName.Add(d.DeclarationName, d);
            }
            Declared = All.Where(d => d.DeclarationName is not null).ToArray();
        }

        /// <summary>Every descriptor, in a fixed order: the leaves (input, weight, bias), then the computed ops in the order of the generated vocabulary.</summary>
        public static IReadOnlyList<OpDescriptor> All { get; }

        /// <summary>The descriptors a <c>Forward</c> declaration can call (those with a <see cref="OpDescriptor.DeclarationName"/>), in the order of <see cref="All"/>.</summary>
        public static IReadOnlyList<OpDescriptor> Declared { get; }

        /// <summary>The descriptor of <paramref name="kind"/>.</summary>
        /// <exception cref="ArgumentException">No descriptor describes <paramref name="kind"/> (a value outside the enum, or an op added to <see cref="OpKind"/> but not here).</exception>
        public static OpDescriptor For(OpKind kind) =>
            TryGet(kind, out var descriptor) ? descriptor
                : throw new ArgumentException("The op " + kind + " has no descriptor in OpTable; every OpKind needs one in OpTable.All.", nameof(kind));

        /// <summary>The descriptor of <paramref name="kind"/>, or false when there is none.</summary>
        public static bool TryGet(OpKind kind, out OpDescriptor descriptor)
        {
            int index = (int)kind;
            descriptor = index >= 0 && index < ByKind.Length ? ByKind[index]! : null!;
            return descriptor is not null;
        }

        /// <summary>The descriptor a declaration calls <paramref name="declarationName"/> (ordinal, case-sensitive), or false when no op has that name.</summary>
        public static bool TryGetByDeclarationName(string declarationName, out OpDescriptor descriptor)
        {
            if (ByDeclarationName.TryGetValue(declarationName, out var found))
            {
                descriptor = found;
                return true;
            }
            descriptor = null!;
            return false;
        }

        /// <summary>Names as prose: "A", "A and B", "A, B and C".</summary>
        internal static string NameList(IEnumerable<string> names)
        {
            var list = names.ToList();
            return list.Count <= 1 ? string.Concat(list) : string.Join(", ", list.Take(list.Count - 1)) + " and " + list[list.Count - 1];
        }

        /// <summary>The largest window, stride or padding a declaration may give (larger ones are typos, and keep products in range).</summary>
        internal const int MaxWindow = 4096;

        private static readonly ConstantArgument Stride = new ConstantArgument("stride", 1, "[1, " + MaxWindow.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]", v => v >= 1 && v <= MaxWindow, isInteger: true);

        private static readonly ConstantArgument Window = new ConstantArgument("window", 2, "[1, " + MaxWindow.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]", v => v >= 1 && v <= MaxWindow, isInteger: true);

        private static OpDescriptor Elementwise(OpKind kind, string declarationName, string summary, OpArgument argument, ScalarFunction function, ConstantArgument? constant = null) =>
            new OpDescriptor(kind, NodeRole.Computed, declarationName, summary, new[] { argument }, SameAsArgument,
                constant is null ? null : new[] { constant }, function, layerInteriorArgument: 0);

        private static Shape Leaf(OpDescriptor op, string name, IReadOnlyList<Node> parents, Shape declared, IReadOnlyList<double> constants)
        {
            OpRules.Arity(name, op, parents);
            return declared;
        }

        private static Shape WeightShape(OpDescriptor op, string name, IReadOnlyList<Node> parents, Shape declared, IReadOnlyList<double> constants)
        {
            OpRules.Arity(name, op, parents);
            if (declared.Rank != 2) throw new GraphBuildException(name, "Weight '" + name + "' has shape " + declared + "; a weight is a matrix [rows, cols].");
            return declared;
        }

        private static Shape BiasShape(OpDescriptor op, string name, IReadOnlyList<Node> parents, Shape declared, IReadOnlyList<double> constants)
        {
            OpRules.Arity(name, op, parents);
            if (!declared.IsVector) throw new GraphBuildException(name, "Bias '" + name + "' has shape " + declared + "; a bias is a vector [n].");
            return declared;
        }

        private static Shape KernelShape(OpDescriptor op, string name, IReadOnlyList<Node> parents, Shape declared, IReadOnlyList<double> constants)
        {
            OpRules.Arity(name, op, parents);
            if (declared.Rank != 4) throw new GraphBuildException(name, "Kernel '" + name + "' has shape " + declared + "; a kernel is [out channels, in channels, height, width].");
            return declared;
        }

        /// <summary>Rejects an argument that is not an image (channels, height, width).</summary>
        private static void Image(string name, OpDescriptor op, Node x, string what)
        {
            OpRules.PerSample(name, op, x, what);
            if (x.Shape.Rank != 3) throw new GraphBuildException(name, op.Kind + " '" + name + "': input '" + x.Name + "' has shape " + x.Shape + "; it must be an image [channels, height, width].");
        }

        /// <summary>Output positions along one axis: (size + 2 padding - window) / stride + 1, or an error when the window does not fit.</summary>
        private static int Positions(string name, OpDescriptor op, Node x, int size, int window, int stride, int padding, string axis)
        {
            if (size + 2 * padding < window)
            {
                throw new GraphBuildException(name, op.Kind + " '" + name + "': its " + window.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-wide window does not fit the " + axis + " of input '" + x.Name + "' " + x.Shape +
                    (padding > 0 ? " padded by " + padding.ToString(System.Globalization.CultureInfo.InvariantCulture) : "") + ".");
            }
            return (size + 2 * padding - window) / stride + 1;
        }

        private static Shape Conv2dShape(OpDescriptor op, string name, IReadOnlyList<Node> parents, Shape declared, IReadOnlyList<double> constants)
        {
            OpRules.Arity(name, op, parents);
            var k = parents[0];
            var x = parents[1];
            if (k.Op != OpKind.Kernel) throw new GraphBuildException(name, "Conv2d '" + name + "': its first argument '" + k.Name + "' " + OpRules.Describe(k) + "; it must be a convolution kernel.");
            Image(name, op, x, "second argument");
            if (k.Shape.Dims[1] != x.Shape.Dims[0]) throw new GraphBuildException(name, "Conv2d '" + name + "': kernel '" + k.Name + "' has shape " + k.Shape + " but input '" + x.Name + "' has shape " + x.Shape + "; the kernel's input channels must equal the image's channels.");
            int stride = (int)constants[0], padding = (int)constants[1];
            int height = Positions(name, op, x, x.Shape.Dims[1], k.Shape.Dims[2], stride, padding, "height");
            int width = Positions(name, op, x, x.Shape.Dims[2], k.Shape.Dims[3], stride, padding, "width");
            return Checked(name, op, k.Shape.Dims[0], height, width);
        }

        private static Shape PoolShape(OpDescriptor op, string name, IReadOnlyList<Node> parents, Shape declared, IReadOnlyList<double> constants)
        {
            OpRules.Arity(name, op, parents);
            var x = parents[0];
            Image(name, op, x, "argument");
            int window = (int)constants[0], stride = (int)constants[1];
            return Shape.Image(x.Shape.Dims[0], Positions(name, op, x, x.Shape.Dims[1], window, stride, 0, "height"), Positions(name, op, x, x.Shape.Dims[2], window, stride, 0, "width"));
        }

        private static Shape ChannelBiasAddShape(OpDescriptor op, string name, IReadOnlyList<Node> parents, Shape declared, IReadOnlyList<double> constants)
        {
            OpRules.Arity(name, op, parents);
            var x = parents[0];
            var b = parents[1];
            Image(name, op, x, "first argument");
            if (b.Op != OpKind.Bias) throw new GraphBuildException(name, "ChannelBiasAdd '" + name + "': its second argument '" + b.Name + "' " + OpRules.Describe(b) + "; it must be a bias vector.");
            if (b.Shape.Dims[0] != x.Shape.Dims[0]) throw new GraphBuildException(name, "ChannelBiasAdd '" + name + "': input '" + x.Name + "' has shape " + x.Shape + " but bias '" + b.Name + "' has shape " + b.Shape + "; the bias needs one value per channel.");
            return x.Shape;
        }

        private static Shape FlattenShape(OpDescriptor op, string name, IReadOnlyList<Node> parents, Shape declared, IReadOnlyList<double> constants)
        {
            OpRules.Arity(name, op, parents);
            Image(name, op, parents[0], "argument");
            return Shape.Vector(parents[0].Size);
        }

        private static Shape SliceShape(OpDescriptor op, string name, IReadOnlyList<Node> parents, Shape declared, IReadOnlyList<double> constants)
        {
            OpRules.Arity(name, op, parents);
            var x = parents[0];
            OpRules.PerSample(name, op, x, "argument");
            if (!x.Shape.IsVector) throw new GraphBuildException(name, "Slice '" + name + "': input '" + x.Name + "' has shape " + x.Shape + "; it must be a vector (flatten it first).");
            long start = (long)constants[0], count = (long)constants[1];
            if (start + count > x.Size)
            {
                throw new GraphBuildException(name, "Slice '" + name + "': units [" + start.ToString(System.Globalization.CultureInfo.InvariantCulture) + ", " + (start + count).ToString(System.Globalization.CultureInfo.InvariantCulture)
                    + ") do not lie within input '" + x.Name + "' of shape " + x.Shape + ".");
            }
            return Shape.Vector((int)count);
        }

        private static Shape Checked(string name, OpDescriptor op, int channels, int height, int width)
        {
            long size = (long)channels * height * width;
            if (size > int.MaxValue) throw new GraphBuildException(name, op.Kind + " '" + name + "' would have " + size.ToString(System.Globalization.CultureInfo.InvariantCulture) + " elements per sample, more than int.MaxValue.");
            return Shape.Image(channels, height, width);
        }

        private static Shape MatVecShape(OpDescriptor op, string name, IReadOnlyList<Node> parents, Shape declared, IReadOnlyList<double> constants)
        {
            OpRules.Arity(name, op, parents);
            var w = parents[0];
            var x = parents[1];
            if (w.Op != OpKind.Weight) throw new GraphBuildException(name, "MatVec '" + name + "': its first argument '" + w.Name + "' " + OpRules.Describe(w) + "; it must be a weight matrix.");
            OpRules.PerSample(name, op, x, "second argument");
            if (!x.Shape.IsVector) throw new GraphBuildException(name, "MatVec '" + name + "': input '" + x.Name + "' has shape " + x.Shape + "; it must be a vector (flatten it first).");
            if (w.Shape.Dims[1] != x.Shape.Dims[0]) throw new GraphBuildException(name, "MatVec '" + name + "': weight '" + w.Name + "' has shape " + w.Shape + " but input '" + x.Name + "' has shape " + x.Shape + "; the weight's column count must equal the input's length.");
            return Shape.Vector(w.Shape.Dims[0]);
        }

        private static Shape BiasAddShape(OpDescriptor op, string name, IReadOnlyList<Node> parents, Shape declared, IReadOnlyList<double> constants)
        {
            OpRules.Arity(name, op, parents);
            var x = parents[0];
            var b = parents[1];
            OpRules.PerSample(name, op, x, "first argument");
            if (b.Op != OpKind.Bias) throw new GraphBuildException(name, "BiasAdd '" + name + "': its second argument '" + b.Name + "' " + OpRules.Describe(b) + "; it must be a bias vector.");
            if (!x.Shape.Equals(b.Shape)) throw new GraphBuildException(name, "BiasAdd '" + name + "': input '" + x.Name + "' has shape " + x.Shape + " but bias '" + b.Name + "' has shape " + b.Shape + "; they must be equal.");
            return x.Shape;
        }

        private static Shape EqualShapes(OpDescriptor op, string name, IReadOnlyList<Node> parents, Shape declared, IReadOnlyList<double> constants)
        {
            OpRules.Arity(name, op, parents);
            foreach (var p in parents) OpRules.PerSample(name, op, p, "argument '" + p.Name + "'");
            var first = parents[0];
            foreach (var p in parents.Skip(1))
            {
                if (!p.Shape.Equals(first.Shape)) throw new GraphBuildException(name, op.Kind + " '" + name + "': '" + first.Name + "' has shape " + first.Shape + " but '" + p.Name + "' has shape " + p.Shape + "; elementwise arguments must have equal shapes.");
            }
            return first.Shape;
        }

        private static Shape ConcatShape(OpDescriptor op, string name, IReadOnlyList<Node> parents, Shape declared, IReadOnlyList<double> constants)
        {
            OpRules.Arity(name, op, parents);
            foreach (var p in parents) OpRules.PerSample(name, op, p, "argument '" + p.Name + "'");
            // Images concatenate along channels: per sample that is the flat concatenation of their (channel, row, column) values.
            var first = parents[0];
            bool images = first.Shape.Rank == 3;
            foreach (var p in parents)
            {
                if (images ? p.Shape.Rank != 3 || p.Shape.Dims[1] != first.Shape.Dims[1] || p.Shape.Dims[2] != first.Shape.Dims[2] : !p.Shape.IsVector)
                {
                    throw new GraphBuildException(name, "Concat '" + name + "': '" + p.Name + "' has shape " + p.Shape + " but '" + first.Name + "' has shape " + first.Shape +
                        "; Concat joins vectors, or images of one height and width along their channels.");
                }
            }
            long length = parents.Sum(p => (long)p.Shape.Dims[0]);
            if (length > int.MaxValue)
            {
                throw new GraphBuildException(name, "Concat '" + name + "': its parts have " + length.ToString(System.Globalization.CultureInfo.InvariantCulture) +
                    " elements in all, more than the largest size, int.MaxValue = " + int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".");
            }
            return images ? Checked(name, op, (int)Math.Min(length, int.MaxValue), first.Shape.Dims[1], first.Shape.Dims[2]) : Shape.Vector((int)length);
        }

        private static Shape SameAsArgument(OpDescriptor op, string name, IReadOnlyList<Node> parents, Shape declared, IReadOnlyList<double> constants)
        {
            OpRules.Arity(name, op, parents);
            OpRules.PerSample(name, op, parents[0], "argument");
            return parents[0].Shape;
        }
    }
}
