using System;
using Symbolic.Rules.Data;

namespace Symbolic.PropertyTests.Training;

/// <summary>Small in-memory image sets of 28x28 with a learnable pattern: class c lights rows 2c + 4 and 2c + 5; the rest is dim noise.</summary>
internal static class SyntheticImages
{
    public const int Side = 28;

    public static Dataset Create(int count, int seed, string name, int classes = 10)
    {
        var random = new Random(seed);
        var pixels = new byte[count * Side * Side];
        var labels = new byte[count];
        for (int s = 0; s < count; s++)
        {
            int label = random.Next(classes);
            labels[s] = (byte)label;
            var image = pixels.AsSpan(s * Side * Side, Side * Side);
            for (int p = 0; p < image.Length; p++) image[p] = (byte)random.Next(0, 60);
            for (int row = 2 * label + 4; row < 2 * label + 6; row++)
            {
                for (int col = 2; col < Side - 2; col++) image[row * Side + col] = (byte)random.Next(180, 256);
            }
        }
        return Dataset.Create(new IdxImages(name + "-images", count, Side, Side, pixels), new IdxLabels(name + "-labels", labels), classes, name);
    }
}
