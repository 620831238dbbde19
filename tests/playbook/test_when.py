"""`when:` over a missing input or a skipped step's output is a clear error, never a crash."""

from __future__ import annotations

from pathlib import Path

from tests.playbook.support import PlaybookCli, step_statuses


def test_an_input_when_over_a_missing_input_lists_it_and_exits_3(
    cli: PlaybookCli, work: Path
) -> None:
    (work / "p.yml").write_text(
        "name: when-after-missing\n"
        "inputs:\n"
        "  - {name: tls, type: bool}\n"
        "  - {name: port, type: port, default: 443, when: inputs.tls}\n"
        "steps:\n"
        "  - {id: show, uses: message, with: {text: 'port {{ inputs.port }}'}}\n"
    )
    result = cli("play", "p.yml", "--no-input")
    assert result.code == 3, str(result)
    assert "tls: missing" in result.err
    assert "UndefinedError" not in result.err


def test_a_step_when_over_a_skipped_steps_output_fails_that_step_in_one_line(
    cli: PlaybookCli, work: Path
) -> None:
    (work / "p.yml").write_text(
        "name: when-after-skip\n"
        "steps:\n"
        "  - {id: cert, uses: net.tls_fingerprint, with: {host: 127.0.0.1, port: 1},"
        " when: 'false'}\n"
        "  - {id: second, uses: message, with: {text: there}, when: 'steps.cert.sha256'}\n"
    )
    result = cli("play", "p.yml", "--no-input", "--json")
    assert result.code == 1, str(result)
    assert step_statuses(result) == [("cert", "skipped"), ("second", "failed")]
    assert "expression 'steps.cert.sha256'" in result.out
    assert "unexpected" not in result.out
