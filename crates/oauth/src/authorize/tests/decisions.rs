//! Sign-in and consent decisions: prompt, max_age, id_token_hint, interactions.

use keyward_core::ShortLivedValues;

use super::*;

#[tokio::test]
async fn signed_out_browser_needs_login_or_gets_login_required() {
    let w = world().await;
    let out = w.go(&w.spa_query("&prompt=none"), None).await;
    assert_eq!(error_of(&out), "login_required");
    let AuthorizeOutcome::NeedLogin(interaction) =
        w.go(&w.spa_query("&login_hint=ada&unknown=1"), None).await
    else {
        panic!("login needed")
    };
    assert_eq!(interaction.login_hint.as_deref(), Some("ada"));
    assert!(
        w.cache
            .get(&interaction_key(interaction.tenant_id, &interaction.id))
            .await
            .unwrap()
            .is_some()
    );
    // Back from the login page, signed in: the code, and the interaction is gone.
    assert!(
        matches!(
            w.endpoint
                .resume(&w.tenant, &interaction.id, Some(&w.subject()))
                .await,
            AuthorizeOutcome::NeedLogin(_)
        ),
        "a session older than the request"
    );
    let subject = AuthenticatedSubject {
        auth_time: w.clock.now(),
        ..w.subject()
    };
    let out = w
        .endpoint
        .resume(&w.tenant, &interaction.id, Some(&subject))
        .await;
    let (_, _, params) = redirect(&out);
    assert!(param(&params, "code").is_some());
    assert_eq!(param(&params, "state"), Some("s1"));
    assert!(
        w.cache
            .get(&interaction_key(interaction.tenant_id, &interaction.id))
            .await
            .unwrap()
            .is_none()
    );
    let again = w
        .endpoint
        .resume(&w.tenant, &interaction.id, Some(&subject))
        .await;
    assert!(matches!(again, AuthorizeOutcome::ShowError { .. }));
}

#[tokio::test]
async fn third_party_clients_need_consent_and_denial_is_access_denied() {
    let w = world().await;
    let subject = w.subject();
    let rp = &w.rp.0.client_id;
    let query = format!("response_type=code&client_id={rp}&scope=openid+email&state=s");
    assert_eq!(
        error_of(&w.go(&format!("{query}&prompt=none"), Some(&subject)).await),
        "consent_required"
    );
    let AuthorizeOutcome::NeedConsent(interaction) = w.go(&query, Some(&subject)).await else {
        panic!("consent")
    };
    assert_eq!(interaction.user_id, Some(subject.user_id));
    // Back without deciding: still consent.
    assert!(matches!(
        w.endpoint
            .resume(&w.tenant, &interaction.id, Some(&subject))
            .await,
        AuthorizeOutcome::NeedConsent(_)
    ));
    w.clock.advance(Duration::seconds(1));
    w.consent().await;
    let out = w
        .endpoint
        .resume(&w.tenant, &interaction.id, Some(&subject))
        .await;
    assert!(param(&redirect(&out).2, "code").is_some());
    // Remembered: no consent page next time, unless prompt=consent.
    assert!(param(&redirect(&w.go(&query, Some(&subject)).await).2, "code").is_some());
    let AuthorizeOutcome::NeedConsent(mut interaction) = w
        .go(&format!("{query}&prompt=consent"), Some(&subject))
        .await
    else {
        panic!("prompt=consent forces the page")
    };
    interaction.consent_denied = true;
    w.cache
        .put(
            &interaction_key(interaction.tenant_id, &interaction.id),
            &serde_json::to_vec(&interaction).unwrap(),
            INTERACTION_TTL,
        )
        .await
        .unwrap();
    let out = w
        .endpoint
        .resume(&w.tenant, &interaction.id, Some(&subject))
        .await;
    assert_eq!(error_of(&out), "access_denied");
}

#[tokio::test]
async fn prompt_login_and_max_age_force_a_fresh_sign_in() {
    let w = world().await;
    let subject = w.subject();
    for extra in ["&prompt=login", "&max_age=60"] {
        let AuthorizeOutcome::NeedLogin(interaction) =
            w.go(&w.spa_query(extra), Some(&subject)).await
        else {
            panic!("{extra}: re-authentication")
        };
        assert!(interaction.reauthenticate_after.is_some());
        assert!(
            matches!(
                w.endpoint
                    .resume(&w.tenant, &interaction.id, Some(&subject))
                    .await,
                AuthorizeOutcome::NeedLogin(_)
            ),
            "old session"
        );
        let fresh = AuthenticatedSubject {
            auth_time: w.clock.now() + Duration::seconds(1),
            ..subject.clone()
        };
        let out = w
            .endpoint
            .resume(&w.tenant, &interaction.id, Some(&fresh))
            .await;
        assert!(param(&redirect(&out).2, "code").is_some(), "{extra}");
    }
    assert_eq!(
        error_of(
            &w.go(&w.spa_query("&prompt=none&max_age=10"), Some(&subject))
                .await
        ),
        "login_required"
    );
    let AuthorizeOutcome::NeedLogin(i) = w.go(&w.spa_query("&max_age=0"), Some(&subject)).await
    else {
        panic!("max_age=0")
    };
    let fresh = AuthenticatedSubject {
        auth_time: w.clock.now(),
        ..subject.clone()
    };
    w.clock.advance(Duration::seconds(3));
    assert!(
        param(
            &redirect(&w.endpoint.resume(&w.tenant, &i.id, Some(&fresh)).await).2,
            "code"
        )
        .is_some(),
        "no loop"
    );
    assert!(
        param(
            &redirect(&w.go(&w.spa_query("&max_age=600"), Some(&subject)).await).2,
            "code"
        )
        .is_some()
    );
}

#[tokio::test]
async fn id_token_hint_for_another_user_is_login_required_with_prompt_none() {
    let w = world().await;
    let subject = w.subject();
    let out = w.go(&w.spa_query(""), Some(&subject)).await;
    let code = param(&redirect(&out).2, "code").unwrap().to_owned();
    let body = format!(
        "grant_type=authorization_code&client_id={}&code={code}&redirect_uri={CB}&code_verifier={VERIFIER}",
        w.spa.client_id
    );
    let hint = w
        .tokens
        .token(request("acme", None, &body))
        .await
        .unwrap()
        .id_token
        .unwrap();
    let ok = w
        .go(
            &w.spa_query(&format!("&prompt=none&id_token_hint={hint}")),
            Some(&subject),
        )
        .await;
    assert!(param(&redirect(&ok).2, "code").is_some());
    let other = AuthenticatedSubject {
        user_id: UserId::generate(),
        ..subject.clone()
    };
    let out = w
        .go(
            &w.spa_query(&format!("&prompt=none&id_token_hint={hint}")),
            Some(&other),
        )
        .await;
    assert_eq!(error_of(&out), "login_required");
    assert_eq!(
        error_of(
            &w.go(&w.spa_query("&id_token_hint=not.a.jwt"), Some(&subject))
                .await
        ),
        "invalid_request"
    );
}

#[tokio::test]
async fn an_access_token_is_not_an_id_token_hint() {
    let mut w = world().await;
    // An app whose own API is named by its client id: its access tokens carry aud = client id,
    // as its ID tokens do.
    {
        let mut clients = w.fixture.clients.0.lock().unwrap();
        let spa = clients
            .iter_mut()
            .find(|c| c.client_id == w.spa.client_id)
            .unwrap();
        spa.settings.audiences = vec![spa.client_id.as_str().to_owned()];
        w.spa = spa.clone();
    }
    let subject = w.subject();
    let out = w.go(&w.spa_query(""), Some(&subject)).await;
    let code = param(&redirect(&out).2, "code").unwrap().to_owned();
    let body = format!(
        "grant_type=authorization_code&client_id={}&code={code}&redirect_uri={CB}&code_verifier={VERIFIER}",
        w.spa.client_id
    );
    // Signed with the same key, same issuer, about the same user: only its type differs.
    let access_token = w
        .tokens
        .token(request("acme", None, &body))
        .await
        .unwrap()
        .access_token;
    let out = w
        .go(
            &w.spa_query(&format!("&prompt=none&id_token_hint={access_token}")),
            Some(&subject),
        )
        .await;
    assert_eq!(error_of(&out), "invalid_request");
}
