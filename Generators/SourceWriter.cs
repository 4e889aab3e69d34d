using System.Text;

namespace Symbolic.Generators
{
    /// <summary>
    /// An indenting text writer for generated C# (after dotnet/runtime's SourceWriter): four spaces per level,
    /// '\n' line ends on every platform, so the output is deterministic.
    /// </summary>
    internal sealed class SourceWriter
    {
        private readonly StringBuilder text = new StringBuilder();
        private int indentation;

        /// <summary>The current indentation level.</summary>
        public int Indentation => indentation;

        /// <summary>Writes one line at the current indentation (an empty line has no indentation).</summary>
        public void WriteLine(string line)
        {
            if (line.Length > 0) text.Append(' ', indentation * 4).Append(line);
            text.Append('\n');
        }

        /// <summary>Writes an empty line.</summary>
        public void WriteLine() => text.Append('\n');

        /// <summary>Writes '{' and indents.</summary>
        public void Open()
        {
            WriteLine("{");
            indentation++;
        }

        /// <summary>Writes <paramref name="header"/>, then '{', and indents.</summary>
        public void Open(string header)
        {
            WriteLine(header);
            Open();
        }

        /// <summary>Indents without writing a brace (a case body).</summary>
        public void Indent() => indentation++;

        /// <summary>Outdents without writing a brace.</summary>
        public void Outdent() => indentation--;

        /// <summary>Outdents and writes '}' followed by <paramref name="suffix"/>.</summary>
        public void Close(string suffix = "")
        {
            indentation--;
            WriteLine("}" + suffix);
        }

        /// <summary>Writes a one-line XML doc summary (the text is XML-escaped).</summary>
        public void Summary(string summary) => WriteLine("/// <summary>" + Xml(summary) + "</summary>");

        /// <summary>Writes an XML doc summary whose text is already XML (may hold tags such as &lt;c&gt;).</summary>
        public void SummaryXml(string xml) => WriteLine("/// <summary>" + xml + "</summary>");

        /// <summary>Writes an XML doc param line.</summary>
        public void Param(string name, string description) => WriteLine("/// <param name=\"" + name.TrimStart('@') + "\">" + Xml(description) + "</param>");

        /// <summary>Writes an XML doc returns line.</summary>
        public void Returns(string description) => WriteLine("/// <returns>" + Xml(description) + "</returns>");

        /// <summary>Escapes text for XML docs.</summary>
        public static string Xml(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

        /// <inheritdoc/>
        public override string ToString() => text.ToString();
    }
}
