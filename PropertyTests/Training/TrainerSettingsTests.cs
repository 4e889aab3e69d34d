using System;
using Symbolic.Rules.Training;
using Xunit;

namespace Symbolic.PropertyTests.Training;

public class TrainerSettingsTests
{
    [Theory]
    [InlineData(0, 16, 1, 10, "Epochs")]
    [InlineData(2, 0, 1, 10, "BatchSize")]
    [InlineData(2, 16, 0, 10, "Threads")]
    [InlineData(2, 16, 2000, 10, "Threads")]
    [InlineData(2, 16, 1, 0, "EvaluationBatchSize")]
    public void Invalid_settings_are_rejected_naming_the_setting(int epochs, int batch, int threads, int evaluation, string setting)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new TrainerSettings(epochs, batch, Threads: threads, EvaluationBatchSize: evaluation));
        Assert.Equal(setting, e.ParamName);
        Assert.Contains("TrainerSettings." + setting, e.Message);
    }

    [Fact]
    public void A_with_expression_is_validated_too()
    {
        var settings = new TrainerSettings(2, 16);
        var e = Assert.ThrowsAny<ArgumentException>(() => settings with { BatchSize = -3 });
        Assert.Contains("TrainerSettings.BatchSize must be at least 1; got -3", e.Message);
    }

    [Fact]
    public void Steps_per_epoch_keep_or_drop_the_last_batch()
    {
        var keep = new TrainerSettings(1, 16);
        var drop = keep with { DropLast = true };
        Assert.False(keep.DropLast);
        Assert.Equal(7, keep.StepsPerEpoch(100));
        Assert.Equal(4, keep.BatchSizeOfStep(100, 6));
        Assert.Equal(6, drop.StepsPerEpoch(100));
        Assert.Equal(16, drop.BatchSizeOfStep(100, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => drop.BatchSizeOfStep(100, 6));
        Assert.Equal(0, drop.StepsPerEpoch(15));
        Assert.Equal(1, keep.StepsPerEpoch(15));
    }
}
